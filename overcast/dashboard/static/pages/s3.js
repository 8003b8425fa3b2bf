// S3: buckets, then a bucket's prefixes and objects — view, download, upload, delete, versions.
import { aws, button, clear, decodeBase64, errorBox, fileToBase64, form, h, heading, json, load, navigate, section, size, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await aws("s3", "ListBuckets", {})).Buckets.length;
}

export async function render(view, [bucket, ...prefixParts]) {
  if (!bucket) return buckets(view);
  const prefix = prefixParts.filter(Boolean).map((part) => `${part}/`).join("");
  return objects(view, bucket, prefix);
}

function buckets(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const { Buckets } = await aws("s3", "ListBuckets", {});
      return table(
        [
          ["Bucket", (bucket) => h("a", { href: `#/s3/${enc(bucket.Name)}` }, bucket.Name)],
          ["Created", (bucket) => when(bucket.CreationDate)],
          ["Region", (bucket) => bucket.BucketRegion || ""],
          [
            "",
            (bucket) =>
              button("Delete", async (event) => {
                if (!confirm(`Delete the bucket ${bucket.Name}? It must be empty.`)) return;
                try {
                  await aws("s3", "DeleteBucket", { Bucket: bucket.Name });
                  refresh();
                } catch (error) {
                  event.target.after(errorBox(error));
                }
              }, { class: "danger" }),
          ],
        ],
        Buckets,
        "No buckets in this account.",
      );
    });
  view.append(
    heading("S3 buckets"),
    section(
      "Create a bucket",
      form([{ name: "name", label: "Bucket name", required: true }], async ({ name }) => {
        await aws("s3", "CreateBucket", { Bucket: name });
        refresh();
        return h("p", { class: "ok" }, `Created ${name}.`);
      }, "Create bucket"),
    ),
    section("Buckets", list),
  );
  refresh();
}

function objects(view, bucket, prefix) {
  const list = h("div");
  const viewer = h("div", { class: "viewer" });
  const crumbs = [h("a", { href: "#/s3" }, "Buckets"), " / ", h("a", { href: `#/s3/${enc(bucket)}` }, bucket)];
  let path = "";
  for (const part of prefix.split("/").filter(Boolean)) {
    path += `/${enc(part)}`;
    crumbs.push(" / ", h("a", { href: `#/s3/${enc(bucket)}${path}` }, part));
  }
  const refresh = () =>
    load(list, async () => {
      const output = await aws("s3", "ListObjectsV2", { Bucket: bucket, Prefix: prefix, Delimiter: "/", MaxKeys: 1000 });
      const folders = (output.CommonPrefixes || []).map((entry) => ({ folder: entry.Prefix }));
      const rows = [...folders, ...(output.Contents || [])];
      const note = output.IsTruncated ? h("p", { class: "muted" }, `The first ${output.KeyCount} keys; narrow the prefix to see the rest.`) : null;
      return h("div", {}, note, table(
        [
          [
            "Name",
            (row) =>
              row.folder
                ? h("a", { href: `#/s3/${enc(bucket)}/${row.folder.split("/").filter(Boolean).map(enc).join("/")}` }, `${row.folder.slice(prefix.length)}`)
                : row.Key.slice(prefix.length),
          ],
          ["Size", (row) => (row.folder ? "folder" : size(row.Size))],
          ["Modified", (row) => when(row.LastModified)],
          ["Storage class", (row) => row.StorageClass || ""],
          [
            "",
            (row) =>
              row.folder
                ? ""
                : h(
                    "div",
                    { class: "row-actions" },
                    button("View", () => show(viewer, bucket, row.Key)),
                    button("Download", () => download(bucket, row.Key)),
                    button("Versions", () => versions(viewer, bucket, row.Key)),
                    button("Delete", async () => {
                      if (!confirm(`Delete ${row.Key}?`)) return;
                      await aws("s3", "DeleteObject", { Bucket: bucket, Key: row.Key });
                      refresh();
                    }, { class: "danger" }),
                  ),
          ],
        ],
        rows,
        prefix ? "Nothing under this prefix." : "This bucket is empty.",
      ));
    });
  const versioning = h("span", { class: "muted" });
  aws("s3", "GetBucketVersioning", { Bucket: bucket }).then(
    (output) => clear(versioning, `Versioning: ${output.Status || "never enabled"}`),
    (error) => clear(versioning, errorBox(error)),
  );
  view.append(
    heading(
      h("span", { class: "crumbs" }, crumbs),
      versioning,
      button("Enable versioning", async () => {
        await aws("s3", "PutBucketVersioning", { Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } });
        navigate(location.hash);
      }),
    ),
    section(
      "Upload",
      form(
        [
          { name: "file", label: "File", type: "file", required: true },
          { name: "key", label: "Key (default: the file's name under this prefix)" },
        ],
        async ({ file, key }) => {
          if (!file) throw new Error("Choose a file to upload.");
          const target = key || `${prefix}${file.name}`;
          const output = await aws("s3", "PutObject", {
            Bucket: bucket,
            Key: target,
            Body: { $base64: await fileToBase64(file) },
            ContentType: file.type || "application/octet-stream",
          });
          refresh();
          return h("p", { class: "ok" }, `Uploaded ${target} (ETag ${output.ETag}).`);
        },
        "Upload",
      ),
    ),
    section("Objects", list),
    viewer,
  );
  refresh();
}

async function show(viewer, bucket, key) {
  clear(viewer, section(`s3://${bucket}/${key}`, h("p", { class: "muted" }, "Loading…")));
  try {
    const output = await aws("s3", "GetObject", { Bucket: bucket, Key: key });
    const body = output.Body || {};
    delete output.Body;
    const content =
      body.$text !== undefined
        ? h("pre", { class: "object" }, body.$text)
        : (output.ContentType || "").startsWith("image/")
          ? h("img", { src: URL.createObjectURL(new Blob([decodeBase64(body.$base64)], { type: output.ContentType })), alt: key })
          : h("p", {}, `${size(body.size)} of binary data.`);
    clear(viewer, section(`s3://${bucket}/${key}`, content, h("details", {}, h("summary", {}, "Metadata"), json(output))));
  } catch (error) {
    clear(viewer, errorBox(error));
  }
}

async function download(bucket, key, versionId) {
  const output = await aws("s3", "GetObject", versionId ? { Bucket: bucket, Key: key, VersionId: versionId } : { Bucket: bucket, Key: key });
  if (output.Body.truncated) {
    alert(`${key} is larger than the dashboard hands over (8 MiB): use aws s3 cp or GetObject instead.`);
    return;
  }
  const blob = new Blob([decodeBase64(output.Body.$base64)], { type: output.ContentType || "application/octet-stream" });
  const link = h("a", { href: URL.createObjectURL(blob), download: key.split("/").pop() });
  document.body.append(link);
  link.click();
  link.remove();
}

async function versions(viewer, bucket, key) {
  try {
    const output = await aws("s3", "ListObjectVersions", { Bucket: bucket, Prefix: key });
    const rows = [...(output.Versions || []), ...(output.DeleteMarkers || []).map((marker) => ({ ...marker, deleteMarker: true }))].filter((row) => row.Key === key);
    clear(
      viewer,
      section(
        `Versions of ${key}`,
        table(
          [
            ["Version", (row) => row.VersionId],
            ["Latest", (row) => (row.IsLatest ? "yes" : "")],
            ["Modified", (row) => when(row.LastModified)],
            ["Size", (row) => (row.deleteMarker ? "delete marker" : size(row.Size))],
            ["", (row) => (row.deleteMarker ? "" : button("Download", () => download(bucket, key, row.VersionId)))],
          ],
          rows,
        ),
      ),
    );
  } catch (error) {
    clear(viewer, errorBox(error));
  }
}
