import { parentPort } from "node:worker_threads";
import { parseJsonlBatch, type ParseTask } from "./batch";

/**
 * A parse worker of parse-pool.ts: parses the batches it is sent, one at a time, and answers each
 * with its records. Its own entry of the server build (vite.config.ts), so it runs from
 * build/server/ as it runs from source under tsx and vitest.
 */
const port = parentPort;
if (!port) throw new Error("parse-worker.ts runs as a worker thread (app/shopify/jsonl/parse-pool.ts)");
port.on("message", (msg: { id: number; task: ParseTask }) => {
  try {
    port.postMessage({ id: msg.id, result: parseJsonlBatch(msg.task) });
  } catch (e) {
    // parseJsonlBatch never throws for bad input; this is a bug or an exhausted heap: the batch fails.
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true }); // loaded: batches may be sent (see parse-pool.ts, startup failures)
