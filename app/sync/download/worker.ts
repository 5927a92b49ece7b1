import { parentPort } from "node:worker_threads";
import type { ParseTask } from "../../shopify/jsonl/batch";
import type { RowTarget } from "../store/rows";
import { renderBatchBytes } from "../store/scan";

/**
 * A parse worker of the sync's download step (app/sync/download.ts, pool: app/shopify/jsonl/parse-pool.ts):
 * parses each batch it is sent and renders it as the COPY text of its target tables
 * (docs/decisions/083-sync-parse-workers.md), straight from the bytes where it can (store/scan.ts,
 * docs/decisions/107-sync-floor.md), one batch at a time. Strings cross back to the main
 * thread for almost nothing; records would cost more to receive than to parse. Its own entry of
 * the server build (vite.config.ts, build/server/parse-worker.js), so it runs from the build as it
 * runs from source under tsx and vitest. The calling thread's fallback (download.ts) does the same.
 */
const port = parentPort;
if (!port) throw new Error("app/sync/download/worker.ts runs as a worker thread (app/sync/download.ts)");
port.on("message", (msg: { id: number; task: ParseTask & { target: RowTarget } }) => {
  try {
    port.postMessage({ id: msg.id, result: renderBatchBytes(msg.task) });
  } catch (e) {
    // It does not throw for bad input (malformed lines are counted); this is a bug or an exhausted heap: the batch fails.
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true }); // loaded: batches may be sent (see parse-pool.ts, startup failures)
