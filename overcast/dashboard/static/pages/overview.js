// The overview: services and their state, accounts and regions in use, resource counts in the
// selected account and region, running engines, and the live request log.
import { clear, errorBox, h, internal, json, scope, section, table, when } from "../app.js";
import { pages } from "./index.js";

export async function render(view) {
  const status = h("div", { class: "muted" }, "Loading…");
  const services = h("div");
  const accounts = h("div");
  const counts = h("div", { class: "counts" });
  const engines = h("div");
  const planes = h("div");
  const filters = logFilters();
  const log = h("tbody", { id: "request-log" });
  const logTable = h(
    "table",
    { class: "log" },
    h("thead", {}, h("tr", {}, ["Time", "Service", "Operation", "Status", "Latency", "Account", "Error"].map((title) => h("th", { scope: "col" }, title)))),
    log,
  );
  view.append(
    h("div", { class: "heading" }, h("h1", {}, "Overview"), status),
    h("div", { class: "grid" }, section("Services", services), section("Accounts and regions in use", accounts), section(`Resources in ${scope.account} · ${scope.region}`, counts)),
    section("Running engines", engines),
    section("Data planes", planes),
    section("Requests", filters.element, h("div", { class: "scroll" }, logTable)),
  );

  let stopped = false;
  let last = 0;
  let timer = null;

  async function refreshOverview() {
    try {
      const overview = await internal("overview", {});
      clear(status, `Overcast ${overview.version} · state: ${overview.data_dir || "memory (ephemeral)"}${overview.enforce_iam ? " · IAM enforced" : ""}`);
      clear(
        services,
        h(
          "ul",
          { class: "services" },
          Object.entries(overview.services).map(([name, state]) => h("li", { class: `state-${state}` }, h("span", {}, name), h("small", {}, state))),
        ),
      );
      clear(
        accounts,
        table(
          [
            ["Account", ([account]) => account],
            ["Regions", ([, regions]) => regions.join(", ")],
          ],
          Object.entries(overview.accounts),
          "No requests yet.",
        ),
      );
      clear(
        engines,
        table(
          [
            ["Service", (row) => row.service],
            ["Kind", (row) => row.kind],
            ["Name", (row) => row.name],
            ["State", (row) => h("span", { class: `state-${row.state}` }, row.state)],
            ["PID", (row) => row.pid ?? ""],
            ["Account", (row) => row.account ?? ""],
          ],
          overview.engines,
          "No engines running: Lambda environments, databases, caches and containers appear here while they run.",
        ),
      );
      clear(
        planes,
        table(
          [
            ["Data plane", (row) => row.name],
            ["By Host header", (row) => (row.host_form ? h("code", {}, row.host_form) : "")],
            ["By path", (row) => row.path_forms.map((form) => h("div", {}, h("code", {}, form)))],
            ["", (row) => (row.note ? h("small", { class: "muted" }, row.note) : "")],
          ],
          overview.data_planes || [],
          "No data plane's service is enabled.",
        ),
      );
    } catch (error) {
      clear(status, errorBox(error));
    }
  }

  async function refreshCounts() {
    clear(counts);
    const withCounts = pages.filter((candidate) => candidate.service);
    const modules = await Promise.all(withCounts.map((page) => page.load()));
    const work = [];
    withCounts.forEach((page, index) => {
      const module = modules[index];
      if (!module.count) return;
      const cell = h("span", { class: "count" }, "…");
      counts.append(h("a", { href: `#/${page.id}`, class: "counter" }, h("span", {}, page.title), cell));
      work.push(() =>
        module.count().then(
          (count) => clear(cell, String(count)),
          (error) => {
            clear(cell, "–");
            cell.title = `${error.code || ""} ${error.message}`;
          },
        ),
      );
    });
    // Two at a time: a browser opens six connections to a host, and the live log needs one.
    const next = async () => {
      while (work.length && !stopped) await work.shift()();
    };
    await Promise.all([next(), next()]);
  }

  async function poll() {
    if (stopped) return;
    try {
      const answer = await internal("requests", { since: last, limit: 200 });
      for (const entry of answer.requests) {
        log.prepend(row(entry));
      }
      while (log.children.length > 500) log.lastChild.remove();
      last = answer.last;
      filters.apply(log);
    } catch (error) {
      /* shown by the status line's next refresh */
    }
    if (!stopped) timer = setTimeout(poll, 1000);
  }

  refreshOverview();
  refreshCounts();
  poll();
  const overviewTimer = setInterval(refreshOverview, 5000);
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(overviewTimer);
  };
}

function row(entry) {
  const failed = entry.status >= 400;
  const tr = h(
    "tr",
    {
      class: failed ? "failed" : "",
      "data-service": entry.service,
      "data-status": String(entry.status),
      "data-account": entry.account,
      "data-dashboard": String(entry.dashboard),
    },
    h("td", {}, new Date(entry.time * 1000).toLocaleTimeString()),
    h("td", {}, entry.service),
    h("td", {}, entry.operation),
    h("td", { class: `status s${String(entry.status)[0]}` }, String(entry.status)),
    h("td", { class: "num" }, `${entry.ms.toFixed(1)} ms`),
    h("td", {}, entry.account),
    h(
      "td",
      {},
      failed
        ? h(
            "details",
            {},
            h("summary", {}, `${entry.error_code}${entry.error_message ? `: ${entry.error_message}` : ""}`),
            h("p", {}, `Request ${entry.request_id} · ${entry.region}`),
            h("p", {}, "Input:"),
            json(entry.input),
          )
        : "",
    ),
  );
  return tr;
}

function logFilters() {
  const service = h("input", { name: "service", placeholder: "any", size: 12 });
  const status = h("select", { name: "status" }, ["all", "2xx", "3xx", "4xx", "5xx", "errors"].map((value) => h("option", { value }, value)));
  const account = h("input", { name: "account", placeholder: "any", size: 13 });
  const own = h("input", { type: "checkbox", name: "own", checked: true });
  const element = h(
    "form",
    { class: "filters", "aria-label": "Filter requests" },
    h("label", {}, "Service ", service),
    h("label", {}, "Status ", status),
    h("label", {}, "Account ", account),
    h("label", {}, own, " Hide this page's own calls"),
  );
  const filters = {
    element,
    apply(body) {
      for (const tr of body.children) {
        const code = tr.dataset.status;
        const wanted =
          !(own.checked && tr.dataset.dashboard === "true") &&
          (!service.value || tr.dataset.service === service.value.trim()) &&
          (!account.value || tr.dataset.account === account.value.trim()) &&
          (status.value === "all" || (status.value === "errors" ? Number(code) >= 400 : code[0] === status.value[0]));
        tr.hidden = !wanted;
      }
    },
  };
  element.addEventListener("input", () => filters.apply(document.getElementById("request-log")));
  element.addEventListener("change", () => filters.apply(document.getElementById("request-log")));
  element.addEventListener("submit", (event) => event.preventDefault());
  return filters;
}
