import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * A worker thread from its module URL: the built worker (build/server/*.js) starts directly; from
 * source (tsx, vitest) it is TypeScript, and Node 20 applies neither the parent's loader hooks nor
 * `--import tsx` in a worker's execArgv to a worker thread, so a tiny ES module registers tsx's
 * loader in the worker and then imports it. (tsx is a development dependency: only the source path
 * needs it.) Used by the sync's parse workers and the analysis worker.
 */
export function startWorker(url: URL): Worker {
  return new Worker(url.pathname.endsWith(".ts") ? typeScriptBootstrap(url) : url);
}

function typeScriptBootstrap(worker: URL): URL {
  const require = createRequire(import.meta.url);
  const tsxDir = path.dirname(require.resolve("tsx/package.json"));
  const exportsMap: { "./esm/api": { import: { default: string } } } = JSON.parse(
    readFileSync(path.join(tsxDir, "package.json"), "utf8"),
  ).exports;
  const api = pathToFileURL(path.join(tsxDir, exportsMap["./esm/api"].import.default)).href;
  const code = `import { register } from ${JSON.stringify(api)};\nregister();\nawait import(${JSON.stringify(worker.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
