// KMS: keys and their aliases, and encrypting and decrypting with a key.
import { aws, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("kms", "ListKeys", {}, "Keys", "Marker", "NextMarker")).length;
}

export async function render(view, [keyId]) {
  return keyId ? key(view, keyId) : keys(view);
}

function keys(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const [keys, aliases] = await Promise.all([paginate("kms", "ListKeys", {}, "Keys", "Marker", "NextMarker"), paginate("kms", "ListAliases", {}, "Aliases", "Marker", "NextMarker")]);
      const rows = await Promise.all(keys.map(async (row) => (await aws("kms", "DescribeKey", { KeyId: row.KeyId })).KeyMetadata));
      return table(
        [
          ["Key", (row) => h("a", { href: `#/kms/${enc(row.KeyId)}` }, row.KeyId)],
          ["Aliases", (row) => aliases.filter((alias) => alias.TargetKeyId === row.KeyId).map((alias) => alias.AliasName).join(", ")],
          ["State", (row) => row.KeyState],
          ["Spec / usage", (row) => `${row.KeySpec} / ${row.KeyUsage}`],
          ["Manager", (row) => row.KeyManager],
          ["Created", (row) => when(row.CreationDate)],
        ],
        rows,
        "No keys.",
      );
    });
  view.append(
    heading("KMS keys"),
    section(
      "Create a key",
      form([{ name: "description", label: "Description" }, { name: "alias", label: "Alias (optional, alias/...)" }], async ({ description, alias }) => {
        const { KeyMetadata } = await aws("kms", "CreateKey", description ? { Description: description } : {});
        if (alias) await aws("kms", "CreateAlias", { AliasName: alias.startsWith("alias/") ? alias : `alias/${alias}`, TargetKeyId: KeyMetadata.KeyId });
        refresh();
        return h("p", { class: "ok" }, `Created ${KeyMetadata.KeyId}.`);
      }, "Create key"),
    ),
    section("Keys", list),
  );
  refresh();
}

function key(view, keyId) {
  const facts = h("div");
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/kms" }, "Keys"), " / ", keyId)),
    section("Key", facts),
    section(
      "Encrypt",
      form([{ name: "plaintext", label: "Plaintext", type: "textarea", required: true }], async ({ plaintext }) => {
        const output = await aws("kms", "Encrypt", { KeyId: keyId, Plaintext: plaintext });
        return h("div", {}, h("p", {}, "Ciphertext (base64):"), h("pre", { class: "json" }, output.CiphertextBlob.$base64));
      }, "Encrypt"),
    ),
    section(
      "Decrypt",
      form([{ name: "ciphertext", label: "Ciphertext (base64)", type: "textarea", required: true }], async ({ ciphertext }) => {
        const output = await aws("kms", "Decrypt", { KeyId: keyId, CiphertextBlob: { $base64: ciphertext.trim() } });
        return h("div", {}, h("p", {}, `Decrypted with ${output.KeyId}:`), h("pre", { class: "json" }, output.Plaintext.$text ?? output.Plaintext.$base64));
      }, "Decrypt"),
    ),
  );
  load(facts, async () => json((await aws("kms", "DescribeKey", { KeyId: keyId })).KeyMetadata));
}
