import { parentPort } from "node:worker_threads";
import { isAppError } from "../lib/errors";
import { AnalysisSession, type WorkerReply, type WorkerRequest } from "./worker-compute";

/**
 * The analysis's worker thread (docs/decisions/096-analysis-off-the-event-loop.md): runs one
 * AnalysisSession per run it is sent, so the job's thread, which also serves the web requests and
 * webhooks, only reads orders and writes rows. Requests are answered one at a time, in order. Its
 * own entry of the server build (vite.config.ts `analysisWorker`, build/server/analysis-worker.js);
 * from source it runs under tsx (worker-client.ts).
 */
const port = parentPort;
if (!port) throw new Error("app/analysis/worker.ts runs as a worker thread (app/analysis/worker-client.ts)");
let session: AnalysisSession | null = null;

port.on("message", (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    let result: unknown = null;
    if (m.op === "start") session = new AnalysisSession(m.arg);
    else if (!session) throw new Error(`analysis worker: "${m.op}" before "start"`);
    else if (m.op === "add") session.add(m.arg);
    else if (m.op === "signals") session.addSignals(m.arg);
    else if (m.op === "fit") result = session.fit(m.arg);
    else if (m.op === "rows") result = session.rows(m.arg);
    else result = session.summary();
    reply = { id: m.id, result };
  } catch (e) {
    // A bad order value (INVALID_INPUT) keeps its code across the thread boundary.
    reply = { id: m.id, error: { message: e instanceof Error ? e.message : String(e), code: isAppError(e) ? e.code : null } };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies WorkerReply); // loaded: requests may be sent (worker-client.ts)
