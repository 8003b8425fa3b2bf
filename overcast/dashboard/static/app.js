// The dashboard's shell: the account/region scope, the calls to Overcast's API, small DOM
// helpers the pages share, and a hash router that loads each page's module on first visit.
import { pages, pageForArn } from "./pages/index.js";

const token = document.querySelector('meta[name="overcast-token"]').content;
export const enforceIam = document.querySelector('meta[name="overcast-enforce-iam"]').content === "true";

export const scope = {
  account: localStorage.getItem("overcast.account") || "000000000000",
  region: localStorage.getItem("overcast.region") || "us-east-1",
  credentials: null,
};

export class AwsError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const READS = /^(List|Describe|Get|Scan|Query|Lookup|BatchGet|Filter)/;

async function post(route, payload) {
  const request = () =>
    fetch(`/_overcast/api/${route}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Overcast-Token": token },
      body: JSON.stringify({ ...payload, credentials: scope.credentials }),
    });
  let response;
  try {
    response = await request();
  } catch (error) {
    // The browser dropped the request (its network changed, a laptop woke up): a read is
    // asked again; a change is not, as it may have been made.
    if (route === "call" && !READS.test(payload.operation)) throw error;
    response = await request();
  }
  let body;
  try {
    body = await response.json();
  } catch {
    body = { error: `HTTP ${response.status}` };
  }
  if (response.status === 401) {
    askCredentials();
  }
  if (!response.ok) {
    throw new AwsError("Dashboard", body.error || `HTTP ${response.status}`, response.status);
  }
  return body;
}

/** Overcast's own dashboard API: requests, overview, engines, operations. */
export const internal = post;

/** One AWS call, made through Overcast's API as the selected account and region. */
export async function aws(service, operation, params = {}) {
  const body = await post("call", {
    service,
    operation,
    params,
    account: scope.account,
    region: scope.region,
  });
  if (body.error) {
    throw new AwsError(body.error.code, body.error.message, body.error.status);
  }
  return body.output;
}

/** Every page of a paginated list (at most `limit` items). */
export async function paginate(service, operation, params, itemsKey, inToken, outToken, limit = 1000) {
  const items = [];
  let next;
  do {
    const output = await aws(service, operation, next ? { ...params, [inToken]: next } : params);
    items.push(...(output[itemsKey] || []));
    next = output[outToken || inToken];
  } while (next && items.length < limit);
  return items;
}

// -- DOM helpers ------------------------------------------------------------------------------

/** h("a", {href: "#/"}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const element = tag === "svg" || attrs?.svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "svg" || value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class" || element instanceof SVGElement) element.setAttribute(name, String(value));
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function heading(title, ...actions) {
  return h("div", { class: "heading" }, h("h1", {}, title), h("div", { class: "actions" }, actions));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), children);
}

/** A table: columns are [title, row => cell]. */
export function table(columns, rows, empty = "Nothing here yet.") {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))))),
  );
}

export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

export function errorBox(error) {
  const code = error.code ? `${error.code}: ` : "";
  return h("div", { class: "error", role: "alert" }, code + (error.message || String(error)));
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", ...attrs, onclick }, label);
}

/** A form whose submit calls `run(values)`; what it returns (a node) or throws is shown below it. */
export function form(fields, run, submit = "Send", attrs = {}) {
  const result = h("div", { class: "result", "aria-live": "polite" });
  const element = h(
    "form",
    { class: "form", ...attrs },
    fields.map((field) => {
      const id = `f-${field.name}-${Math.random().toString(36).slice(2, 8)}`;
      let input;
      if (field.type === "textarea") {
        input = h("textarea", { id, name: field.name, rows: field.rows || 4, placeholder: field.placeholder || "" }, field.value || "");
      } else if (field.options) {
        input = h("select", { id, name: field.name }, field.options.map((option) => h("option", { value: option, selected: option === field.value }, option)));
      } else {
        input = h("input", {
          id,
          name: field.name,
          type: field.type || "text",
          value: field.value ?? "",
          placeholder: field.placeholder || "",
          required: field.required,
        });
      }
      return h("label", { for: id, class: field.type === "textarea" ? "wide" : "" }, h("span", {}, field.label), input);
    }),
    h("div", { class: "submit" }, h("button", { type: "submit", class: "primary" }, submit)),
    result,
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const field of fields) {
      const input = element.elements[field.name];
      values[field.name] = field.type === "file" ? input.files[0] : input.value;
    }
    clear(result, h("p", { class: "muted" }, "Working…"));
    try {
      const shown = await run(values);
      clear(result, shown ?? h("p", { class: "ok" }, "Done."));
    } catch (error) {
      clear(result, errorBox(error));
    }
  });
  return element;
}

/** Parse a JSON text field; an empty field is `fallback`. */
export function parseJson(text, what, fallback = undefined) {
  if (!text || !text.trim()) return fallback;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AwsError("InvalidJSON", `${what} is not valid JSON: ${error.message}`);
  }
}

/** An ARN as a link to the page that shows it, where there is one. */
export function arnLink(arn) {
  if (!arn) return "";
  const target = pageForArn(arn);
  return target ? h("a", { href: target, class: "arn" }, arn) : h("code", { class: "arn" }, arn);
}

export function when(value) {
  if (!value) return "";
  const date = typeof value === "number" ? new Date(value) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function size(bytes) {
  if (bytes === undefined || bytes === null) return "";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/** Load a list into `target`, showing the error in its place when the call fails. */
export async function load(target, work) {
  clear(target, h("p", { class: "muted" }, "Loading…"));
  try {
    clear(target, await work());
  } catch (error) {
    clear(target, errorBox(error));
  }
}

export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// -- credentials under --enforce-iam ----------------------------------------------------------

function askCredentials() {
  const dialog = document.getElementById("credentials");
  if (!dialog.open) dialog.showModal();
}

function setUpCredentials() {
  const dialog = document.getElementById("credentials");
  const signIn = document.getElementById("signin");
  const saved = sessionStorage.getItem("overcast.credentials");
  if (saved) scope.credentials = JSON.parse(saved);
  signIn.hidden = !enforceIam;
  signIn.textContent = scope.credentials ? `Signed in: ${scope.credentials.accessKeyId}` : "Sign in";
  signIn.addEventListener("click", askCredentials);
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "ok") return;
    const data = new FormData(document.getElementById("credentials-form"));
    scope.credentials = Object.fromEntries([...data.entries()].filter(([, value]) => value));
    sessionStorage.setItem("overcast.credentials", JSON.stringify(scope.credentials));
    signIn.textContent = `Signed in: ${scope.credentials.accessKeyId}`;
    route();
  });
  if (enforceIam && !scope.credentials) askCredentials();
  document.getElementById("account").disabled = enforceIam;
}

// -- router -----------------------------------------------------------------------------------

let cleanup = null;

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const [id = "", ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const page = pages.find((candidate) => candidate.id === (id || "overview")) || pages[0];
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === page.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const main = document.getElementById("main");
  clear(main, h("p", { class: "muted" }, "Loading…"));
  document.title = `${page.title} · Overcast`;
  try {
    const module = await page.load();
    const view = h("div", { class: "page", "data-page": page.id });
    clear(main, view);
    cleanup = await module.render(view, args);
  } catch (error) {
    clear(main, errorBox(error));
  }
}

function setUpScope() {
  const account = document.getElementById("account");
  const region = document.getElementById("region");
  account.value = scope.account;
  region.value = scope.region;
  const regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1", "ca-central-1"];
  clear(document.getElementById("regions"), regions.map((name) => h("option", { value: name })));
  const changed = () => {
    if (!/^\d{12}$/.test(account.value) || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region.value)) return;
    scope.account = account.value;
    scope.region = region.value;
    localStorage.setItem("overcast.account", scope.account);
    localStorage.setItem("overcast.region", scope.region);
    route();
  };
  account.addEventListener("change", changed);
  region.addEventListener("change", changed);
  document.getElementById("scope").addEventListener("submit", (event) => {
    event.preventDefault();
    changed();
  });
}

function setUpNav() {
  clear(
    document.getElementById("nav"),
    pages.filter((page) => !page.hidden).map((page) => h("li", {}, h("a", { href: `#/${page.id}`, "data-page": page.id }, page.title))),
  );
}

setUpNav();
setUpScope();
setUpCredentials();
window.addEventListener("hashchange", route);
route();
