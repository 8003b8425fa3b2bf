// ECR: repositories with the URI to push to, and a repository's images with their tags and digests.
import { arnLink, h, heading, load, paginate, section, size, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("ecr", "DescribeRepositories", {}, "repositories", "nextToken")).length;
}

export async function render(view, [name]) {
  return name ? repository(view, name) : repositories(view);
}

function repositories(view) {
  const list = h("div");
  view.append(heading("ECR repositories"), section("Repositories", list));
  load(list, async () =>
    table(
      [
        ["Repository", (row) => h("a", { href: `#/ecr/${enc(row.repositoryName)}` }, row.repositoryName)],
        ["URI", (row) => h("code", {}, row.repositoryUri)],
        ["Tag mutability", (row) => row.imageTagMutability],
        ["Scan on push", (row) => (row.imageScanningConfiguration?.scanOnPush ? "yes" : "")],
        ["Created", (row) => when(row.createdAt)],
      ],
      await paginate("ecr", "DescribeRepositories", {}, "repositories", "nextToken"),
      "No repositories.",
    ),
  );
}

function repository(view, name) {
  const facts = h("div");
  const images = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/ecr" }, "Repositories"), " / ", name)), section("Repository", facts), section("Images", images));
  load(facts, async () => {
    const [row] = await paginate("ecr", "DescribeRepositories", { repositoryNames: [name] }, "repositories", "nextToken");
    return h("dl", {}, h("dt", {}, "URI"), h("dd", {}, h("code", {}, row.repositoryUri)), h("dt", {}, "ARN"), h("dd", {}, arnLink(row.repositoryArn)), h("dt", {}, "Pull"), h("dd", {}, h("code", {}, `docker pull ${row.repositoryUri}:latest`)));
  });
  load(images, async () => {
    const rows = await paginate("ecr", "DescribeImages", { repositoryName: name }, "imageDetails", "nextToken");
    rows.sort((a, b) => String(b.imagePushedAt).localeCompare(String(a.imagePushedAt)));
    return table(
      [
        ["Tags", (row) => (row.imageTags || []).join(", ") || h("span", { class: "muted" }, "untagged")],
        ["Digest", (row) => h("code", {}, row.imageDigest)],
        ["Size", (row) => size(row.imageSizeInBytes)],
        ["Media type", (row) => row.imageManifestMediaType || ""],
        ["Pushed", (row) => when(row.imagePushedAt)],
      ],
      rows,
      "No images: docker push to the URI above.",
    );
  });
}
