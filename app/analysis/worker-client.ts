import { startWorker } from "../lib/worker-thread";
import { AppError } from "../lib/errors";
import {
  AnalysisSession,
  type AnalysisSummary,
  type ColumnBatch,
  type ComputeStart,
  type Fitted,
  type RowsSlice,
  type SignalBatch,
  type WorkerReply,
  type WorkerRequest,
} from "./worker-compute";

/** The worker's module; the server build rewrites this expression to its own entry (vite.config.ts, analysisWorker). */
export const ANALYSIS_WORKER_URL = new URL("./worker.ts", import.meta.url);

/**
 * One run's computation (worker-compute.ts AnalysisSession) on a worker thread of its own, so the
 * fit and the scoring of a million customers never hold the event loop of the process that serves
 * requests (docs/decisions/096-analysis-off-the-event-loop.md). The same calls in the same order as
 * the session; each answers when the worker has done it. A batch's arrays move to the worker (they
 * are unusable here afterwards).
 */
export interface Computation {
  /** True when no worker could start and the session runs on this thread (slower for requests, same results). */
  readonly inThread: boolean;
  add(batch: ColumnBatch): Promise<void>;
  /** Discount use, refunds and clicks for the churn score (ADR 110); any time before `fit`. */
  addSignals(batch: SignalBatch): Promise<void>;
  fit(excluded: { test: number; cancelled: number }): Promise<Fitted>;
  rows(limit: number): Promise<RowsSlice>;
  summary(): Promise<AnalysisSummary>;
  /** Stops the worker; always call it (a failed run included). */
  close(): Promise<void>;
}

export interface ComputationOptions {
  /** Default: ANALYSIS_WORKER_URL. A `.ts` URL is started through tsx (source, tests, benchmarks). */
  workerUrl?: URL;
  /** Run on the calling thread (no worker). */
  inThread?: boolean;
  /** Told when no worker could start and the run computes in-thread (default: console.warn). */
  onUnavailable?: (reason: string) => void;
}

export async function startComputation(start: ComputeStart, opts: ComputationOptions = {}): Promise<Computation> {
  if (!opts.inThread) {
    try {
      return await workerComputation(start, opts.workerUrl ?? ANALYSIS_WORKER_URL);
    } catch (e) {
      // The worker file is missing from a build bundled another way, or threads are refused: the
      // run still completes, on this thread, with the same results. A worker that dies after it
      // started is not hidden this way (its run fails).
      const why = e instanceof Error ? e.message : String(e);
      (opts.onUnavailable ?? ((r) => console.warn(`[analysis] worker thread unavailable, computing in-thread: ${r}`)))(why);
    }
  }
  return inThreadComputation(start);
}

function inThreadComputation(start: ComputeStart): Computation {
  const session = new AnalysisSession(start);
  return {
    inThread: true,
    add: async (batch) => session.add(batch),
    addSignals: async (batch) => session.addSignals(batch),
    fit: async (excluded) => session.fit(excluded),
    rows: async (limit) => session.rows(limit),
    summary: async () => session.summary(),
    close: async () => undefined,
  };
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

async function workerComputation(start: ComputeStart, url: URL): Promise<Computation> {
  const worker = startWorker(url);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | null = null;
  let ready!: () => void;
  let failedToStart!: (e: Error) => void;
  const started = new Promise<void>((res, rej) => {
    ready = res;
    failedToStart = rej;
  });
  worker.on("message", (m: WorkerReply) => {
    if (m.id === undefined) return ready();
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (!p) return;
    if (m.error !== undefined)
      p.reject(m.error.code ? new AppError(m.error.code, m.error.message) : new Error(`Analysis worker failed: ${m.error.message}`));
    else p.resolve(m.result);
  });
  const gone = (why: string) => {
    if (stopped) return;
    stopped = new Error(`Analysis worker stopped: ${why}`);
    failedToStart(stopped);
    for (const p of pending.values()) p.reject(stopped);
    pending.clear();
  };
  worker.on("error", (e) => gone(e.message));
  worker.on("exit", (code) => gone(`exit code ${code}`));
  try {
    await started;
  } catch (e) {
    await worker.terminate();
    throw e;
  }

  const call = <R>(req: Omit<WorkerRequest, "id">, transfer: ArrayBuffer[] = []): Promise<R> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<R>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id }, transfer);
    });
  };
  await call({ op: "start", arg: start });
  return {
    inThread: false,
    add: (batch) =>
      call({ op: "add", arg: batch }, [batch.at.buffer, batch.value.buffer, batch.starts.buffer].filter(transferable) as ArrayBuffer[]),
    addSignals: (batch) => call({ op: "signals", arg: batch }, [batch.kinds.buffer, batch.at.buffer].filter(transferable) as ArrayBuffer[]),
    fit: (excluded) => call({ op: "fit", arg: excluded }),
    rows: (limit) => call({ op: "rows", arg: limit }),
    summary: () => call({ op: "summary", arg: null }),
    close: async () => {
      stopped ??= new Error("Analysis worker closed");
      await worker.terminate();
    },
  };
}

/** Only a buffer of its own may move (a view into a shared pool, e.g. a small Buffer, must be copied). */
const transferable = (b: ArrayBufferLike, i: number, all: ArrayBufferLike[]) => b instanceof ArrayBuffer && all.indexOf(b) === i;
