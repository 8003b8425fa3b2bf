// ACM: certificates with their status, domains and validation records.
import { arnLink, aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("acm", "ListCertificates", {}, "CertificateSummaryList", "NextToken")).length;
}

export async function render(view, [arn]) {
  return arn ? certificate(view, arn) : certificates(view);
}

function certificates(view) {
  const list = h("div");
  view.append(heading("ACM certificates"), section("Certificates", list));
  load(list, async () =>
    table(
      [
        ["Domain", (row) => h("a", { href: `#/acm/${enc(row.CertificateArn)}` }, row.DomainName)],
        ["Status", (row) => row.Status || ""],
        ["Type", (row) => row.Type || ""],
        ["Also for", (row) => (row.SubjectAlternativeNameSummaries || []).filter((name) => name !== row.DomainName).join(", ")],
        ["In use", (row) => (row.InUse ? "yes" : "")],
        ["Expires", (row) => when(row.NotAfter)],
      ],
      await paginate("acm", "ListCertificates", {}, "CertificateSummaryList", "NextToken"),
      "No certificates.",
    ),
  );
}

function certificate(view, arn) {
  const facts = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/acm" }, "Certificates"), " / ", arn.split("/").pop())), section("Certificate", facts));
  load(facts, async () => {
    const { Certificate: cert } = await aws("acm", "DescribeCertificate", { CertificateArn: arn });
    return h(
      "div",
      {},
      h("dl", {}, h("dt", {}, "ARN"), h("dd", {}, arnLink(cert.CertificateArn)), h("dt", {}, "Status"), h("dd", {}, cert.Status), h("dt", {}, "Domain"), h("dd", {}, cert.DomainName)),
      table(
        [
          ["Domain", (row) => row.DomainName],
          ["Validation", (row) => `${row.ValidationMethod || ""} ${row.ValidationStatus || ""}`],
          ["Record", (row) => (row.ResourceRecord ? `${row.ResourceRecord.Name} ${row.ResourceRecord.Type} ${row.ResourceRecord.Value}` : "")],
        ],
        cert.DomainValidationOptions || [],
        "No validation options.",
      ),
      json(cert),
    );
  });
}
