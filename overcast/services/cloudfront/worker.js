// CloudFront Functions' runtime: one long-lived Node.js process that runs viewer-request and
// viewer-response functions for Overcast. Requests and answers are JSON lines on stdin/stdout:
//   {"id", "code", "runtime", "event", "kvs": {"id", "version", "data"|null}}
//   → {"id", "ok": true, "result", "logs"} | {"id", "ok": false, "error", "logs"}
// Compiled functions are kept by their code; KeyValueStore contents by id and version.
"use strict";
const vm = require("vm");
const crypto = require("crypto");
const querystring = require("querystring");
const readline = require("readline");

const compiled = new Map();
const stores = new Map();
const LIMIT_MS = 1000;

let currentStore = null;

// A handle looks its store up when used: the code may take it at load, before any request.
function kvsHandle(id) {
  function storeData() {
    const store = stores.get(id || currentStore);
    if (store === undefined) {
      throw new Error("The KeyValueStore " + (id || "") + " is not associated with this function");
    }
    return store;
  }
  return {
    async get(key, options) {
      const data = storeData().data;
      if (!Object.prototype.hasOwnProperty.call(data, key)) {
        throw new Error("Key " + key + " not found");
      }
      const value = data[key];
      const format = (options && options.format) || "string";
      if (format === "json") return JSON.parse(value);
      if (format === "bytes") return Buffer.from(value, "utf8");
      return value;
    },
    async exists(key) {
      const data = storeData().data;
      return Object.prototype.hasOwnProperty.call(data, key);
    },
    async meta() {
      const store = storeData();
      const data = store.data;
      const keys = Object.keys(data);
      return { creationDateTime: store.created || "", lastUpdatedDateTime: store.updated || "", keyCount: keys.length };
    },
  };
}

function compile(code, runtime) {
  const cacheKey = runtime + "\u0000" + code;
  let entry = compiled.get(cacheKey);
  if (entry !== undefined) return entry;
  let source = code;
  if (runtime === "cloudfront-js-2.0") {
    // The 2.0 runtime's modules are imported by ES module syntax: bind them as globals.
    source = source.replace(
      /^\s*import\s+(\w+)\s+from\s+['"](cloudfront|crypto|querystring|buffer)['"]\s*;?/gm,
      (_, name, module) => "const " + name + " = __modules[" + JSON.stringify(module) + "];"
    );
  }
  const sandbox = { __modules: {}, console: null, require: undefined };
  const context = vm.createContext(sandbox);
  const script = new vm.Script(source + "\n;(typeof handler === 'function' ? handler : undefined)", {
    filename: "function.js",
  });
  entry = { context, script, sandbox, handler: undefined, loaded: false };
  compiled.set(cacheKey, entry);
  if (compiled.size > 500) compiled.delete(compiled.keys().next().value);
  return entry;
}

function load(entry, runtime, logs) {
  const sandbox = entry.sandbox;
  sandbox.console = {
    log: (...args) => logs.push(args.map(String).join(" ")),
  };
  sandbox.__modules = {
    cloudfront: { kvs: (id) => kvsHandle(id) },
    crypto,
    querystring,
    buffer: { Buffer },
  };
  if (runtime !== "cloudfront-js-2.0") sandbox.require = (name) => sandbox.__modules[name];
  if (!entry.loaded) {
    entry.handler = entry.script.runInContext(entry.context, { timeout: LIMIT_MS });
    entry.loaded = true;
    if (typeof entry.handler !== "function") {
      throw new Error("The function code must define a function named handler");
    }
  }
  return entry.handler;
}

async function run(message) {
  const logs = [];
  currentStore = message.kvs ? message.kvs.id : null;
  try {
    if (message.kvs) {
      const known = stores.get(message.kvs.id);
      if (message.kvs.data !== null && message.kvs.data !== undefined) {
        stores.set(message.kvs.id, message.kvs);
      } else if (known === undefined || known.version !== message.kvs.version) {
        return { id: message.id, ok: false, reload: true, logs };
      }
    }
    const entry = compile(message.code, message.runtime);
    const handler = load(entry, message.runtime, logs);
    if (message.check) return { id: message.id, ok: true, result: null, logs };
    const started = process.hrtime.bigint();
    let result = handler(message.event);
    if (result && typeof result.then === "function") {
      result = await Promise.race([
        result,
        new Promise((_, reject) => setTimeout(() => reject(new Error("The function exceeded its time limit")), LIMIT_MS)),
      ]);
    }
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    return { id: message.id, ok: true, result: result === undefined ? null : result, logs, micros };
  } catch (error) {
    return { id: message.id, ok: false, error: String((error && error.message) || error), logs };
  }
}

const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch (error) {
    return;
  }
  run(message).then((answer) => process.stdout.write(JSON.stringify(answer) + "\n"));
});
