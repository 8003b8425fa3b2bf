// ES module imports do not read NODE_PATH, but AWS's Node.js runtimes let `import` find the
// packages they carry (the AWS SDK for JavaScript v3) and a layer's node_modules. This resolve
// hook retries a bare specifier that normal resolution did not find from each NODE_PATH folder.
import path from "node:path";
import { pathToFileURL } from "node:url";

let folders = [];

export async function initialize(data) {
  folders = (data && data.folders) || [];
}

function isBare(specifier) {
  return !/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!error || error.code !== "ERR_MODULE_NOT_FOUND" || !isBare(specifier)) throw error;
    for (const folder of folders) {
      const parentURL = pathToFileURL(path.join(path.dirname(folder), "_")).href;
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (_) {
        // not in this folder: try the next
      }
    }
    throw error;
  }
}
