// Overcast's Lambda runtime for Node.js: a Runtime API client that loads the handler named by
// _HANDLER from LAMBDA_TASK_ROOT (CommonJS or ES module) and calls it the way AWS's Node.js
// runtime does: async handlers, callback handlers, and console output in AWS's log format.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const util = require("util");
const { pathToFileURL } = require("url");
const nodeModule = require("module");

// Let ES module imports search NODE_PATH's node_modules folders too (see node_path_hook.mjs).
if (typeof nodeModule.register === "function") {
  const folders = (process.env.NODE_PATH || "").split(path.delimiter).filter((f) => path.basename(f) === "node_modules");
  nodeModule.register(pathToFileURL(path.join(__dirname, "node_path_hook.mjs")).href, { data: { folders } });
}

const [HOST, PORT] = (() => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  const i = api.lastIndexOf(":");
  return [api.slice(0, i) || "127.0.0.1", Number(api.slice(i + 1))];
})();
const BASE = "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    const req = http.request(
      { host: HOST, port: PORT, method, path: urlPath, agent,
        headers: Object.assign({ "Content-Length": data.length }, headers || {}) },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      });
    req.on("error", reject);
    req.end(data);
  });
}

let currentRequestId = "";
function patchConsole() {
  const write = (level) => (...args) => {
    const line = `${new Date().toISOString()}\t${currentRequestId || "undefined"}\t${level}\t${util.format(...args)}`;
    process.stdout.write(line.replace(/\n/g, "\r") + "\n");
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
}

function errorBody(error, type) {
  if (!(error instanceof Error)) {
    return { errorType: type || "string", errorMessage: String(error), trace: [] };
  }
  return {
    errorType: type || error.name || "Error",
    errorMessage: error.message,
    trace: (error.stack || "").split("\n"),
  };
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = spec.lastIndexOf(".");
  const moduleName = dot > 0 ? spec.slice(0, dot) : spec;
  const functionPath = dot > 0 ? spec.slice(dot + 1) : "";
  if (dot <= 0) {
    throw Object.assign(new Error(`Bad handler ${spec}`), { lambdaType: "Runtime.MalformedHandlerName" });
  }
  const base = path.resolve(root, moduleName);
  let module;
  const candidates = [[".js", "require"], [".mjs", "import"], [".cjs", "require"]];
  let found = null;
  for (const [ext, how] of candidates) {
    if (fs.existsSync(base + ext)) { found = [base + ext, how]; break; }
  }
  try {
    if (found === null) {
      module = require(base);
    } else if (found[1] === "import" || isEsm(found[0])) {
      module = await import(pathToFileURL(found[0]).href);
    } else {
      try {
        module = require(found[0]);
      } catch (error) {
        if (error && error.code === "ERR_REQUIRE_ESM") module = await import(pathToFileURL(found[0]).href);
        else throw error;
      }
    }
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw Object.assign(error, { lambdaType: "Runtime.UserCodeSyntaxError" });
    }
    if (error && error.code === "MODULE_NOT_FOUND" && found === null) {
      throw Object.assign(new Error(`Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${__filename}`),
        { lambdaType: "Runtime.ImportModuleError" });
    }
    if (error && (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_MODULE_NOT_FOUND")) {
      // As AWS's runtime: a module the handler's own code imports and no folder holds.
      const problem = process.env._OVERCAST_NODE_SDK_PROBLEM;
      const hint = problem && String(error.message).includes("@aws-sdk/") ? `\n${problem}` : "";
      throw Object.assign(new Error(`${error.name}: ${error.message}${hint}`), { lambdaType: "Runtime.ImportModuleError" });
    }
    throw error;
  }
  let handler = module;
  for (const part of functionPath.split(".")) {
    handler = handler == null ? undefined : handler[part];
  }
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { lambdaType: "Runtime.HandlerNotFound" });
  }
  return handler;
}

function isEsm(file) {
  if (!file.endsWith(".js")) return false;
  let dir = path.dirname(file);
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try { return JSON.parse(fs.readFileSync(pkg, "utf8")).type === "module"; } catch (_) { return false; }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

function invokeHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error); else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error || "handled");
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") {
        returned.then((r) => callback(null, r), (e) => callback(e === undefined ? new Error("undefined") : e));
      } else if (handler.length < 3) {
        callback(null, returned);
      }
    } catch (error) {
      callback(error);
    }
  });
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const body = errorBody(error, error.lambdaType);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await request("POST", `${BASE}/init/error`, JSON.stringify(body),
      { "Lambda-Runtime-Function-Error-Type": body.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", `${BASE}/invocation/next`);
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    // As Lambda's runtime client: the X-Ray SDK reads the invocation's trace from here.
    if (h["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    else delete process.env._X_AMZN_TRACE_ID;
    const deadline = Number(h["lambda-runtime-deadline-ms"] || 0);
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      clientContext: h["lambda-runtime-client-context"] ? JSON.parse(h["lambda-runtime-client-context"]) : undefined,
      identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(h["lambda-runtime-cognito-identity"]) : undefined,
    };
    let urlPath, payload, headers;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
      const result = await invokeHandler(handler, event, context);
      payload = result === undefined ? "null" : JSON.stringify(result);
      if (payload === undefined) payload = "null";
      urlPath = `${BASE}/invocation/${requestId}/response`;
    } catch (error) {
      const body = errorBody(error);
      process.stdout.write(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(body)}\n`);
      payload = JSON.stringify(body);
      headers = { "Lambda-Runtime-Function-Error-Type": body.errorType };
      urlPath = `${BASE}/invocation/${requestId}/error`;
    }
    // stdout to a pipe is asynchronous in Node: drain it before the response, so the
    // invocation's output is in the pipe before Overcast hears the invocation is over.
    await new Promise((resolve) => process.stdout.write("", resolve));
    await request("POST", urlPath, payload, headers);
  }
}

main().catch((error) => {
  process.stderr.write(`runtime failure: ${error && error.stack || error}\n`);
  process.exit(1);
});
