import os from "node:os";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../../lib/worker-thread";
import type { ParseTask } from "./batch";

/**
 * Parses bulk result batches on worker threads (docs/decisions/083-sync-parse-workers.md), so the
 * thread that downloads and writes to the database is not the one that runs JSON.parse and the
 * validation of every line. A small fixed pool: each worker parses one batch at a time; batches
 * wait in a queue the caller bounds (it keeps about `threads` + 1 in flight, so backpressure
 * reaches the download). Results come back per batch; the caller awaits them in submission order.
 *
 * Workers start on first use and stop after a while without work (they hold memory: V8 heaps and
 * the parsed modules). They never keep the process alive while idle.
 *
 * When no worker can start at all (the worker file is missing from a build, or the platform
 * refuses threads), batches are parsed on the calling thread instead, with a warning: slower, but
 * the same records, errors and counts, and a sync still completes. A worker that dies *after* it
 * started (out of memory, a bug) fails its batch: that is a failure to see, not to hide.
 */
export interface BatchParser<T extends ParseTask = ParseTask, R = unknown> {
  /** Batches parsed at once: the caller keeps about this many (plus one) in flight. */
  readonly threads: number;
  /** Never rejects for malformed input (parseJsonlBatch counts it); rejects if a worker dies. */
  parse(task: T): Promise<R>;
}

/** One worker per core, but one core is left to the thread that downloads and writes (and to the database). */
export const defaultParseThreads = () => Math.max(1, Math.min(4, os.availableParallelism() - 1));

interface Job<T, R> {
  task: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}
interface Slot<T, R> {
  worker: Worker;
  ready: boolean;
  job: Job<T, R> | null;
}
type WorkerMessage<R> = { ready: true; id?: undefined } | { id: number; result: R; error?: undefined } | { id: number; error: string };

/**
 * What the workers do is the caller's: the worker module (it answers `{ ready: true }` once
 * loaded, then `{ id, result }` or `{ id, error }` per `{ id, task }`, one at a time) and the same
 * work as a function of this thread, the fallback. A worker that imports a feature's code lives in
 * that feature (the sync's: app/sync/download/worker.ts); this pool is generic.
 */
export interface PoolOptions<T extends ParseTask, R> {
  /** The worker module; a `.ts` URL is started through tsx (from source, tests and benchmarks). */
  workerUrl: URL;
  /** The worker's work on the calling thread, when no worker can start: same input, same result. */
  inThread: (task: T) => R;
  threads?: number;
  /** Workers stop after this long without a batch (default 10 s). */
  idleMs?: number;
  /** Told once when no worker could start and batches are parsed in-thread (default: console.warn). */
  onUnavailable?: (reason: string) => void;
}

export type ParsePool<T extends ParseTask, R> = BatchParser<T, R> & { close(): Promise<void>; readonly inThread: boolean };

export function createParsePool<T extends ParseTask, R>(opts: PoolOptions<T, R>): ParsePool<T, R> {
  const threads = Math.max(1, opts.threads ?? defaultParseThreads());
  const url = opts.workerUrl;
  const idleMs = opts.idleMs ?? 10_000;
  const slots: Array<Slot<T, R>> = [];
  const queue: Array<Job<T, R>> = [];
  let unavailable = false;
  let startFailures = 0;
  let idleTimer: NodeJS.Timeout | null = null;

  const spawn = (): Slot<T, R> => {
    const worker = startWorker(url);
    const slot: Slot<T, R> = { worker, ready: false, job: null };
    slots.push(slot);
    worker.on("message", (m: WorkerMessage<R>) => {
      if (m.id === undefined) {
        slot.ready = true;
        pump();
        return;
      }
      const job = slot.job;
      slot.job = null;
      if (m.error !== undefined) job?.reject(new Error(`JSONL parse worker failed: ${m.error}`));
      else job?.resolve(m.result);
      pump();
    });
    const gone = (why: string) => {
      const i = slots.indexOf(slot);
      if (i === -1) return;
      slots.splice(i, 1);
      const job = slot.job;
      slot.job = null;
      if (job) job.reject(new Error(`JSONL parse worker stopped: ${why}`));
      if (!slot.ready) startFailures++;
      if (!slot.ready && !slots.some((s) => s.ready)) {
        // A worker could not start and none is running: parse here from now on (the queued batches
        // were never sent, so they are intact). Retrying would spawn failing workers in a loop.
        unavailable = true;
        (opts.onUnavailable ?? ((r) => console.warn(`[sync] JSONL parse workers unavailable, parsing in-thread: ${r}`)))(why);
      }
      pump();
    };
    worker.on("error", (e) => gone(e.message));
    worker.on("exit", (code) => gone(`exit code ${code}`));
    return slot;
  };

  const pump = () => {
    if (unavailable) {
      for (const job of queue.splice(0)) {
        try {
          job.resolve(opts.inThread(job.task));
        } catch (e) {
          job.reject(e);
        }
      }
      return;
    }
    while (queue.length) {
      const slot = slots.find((s) => s.ready && !s.job);
      if (!slot) {
        // A replacement for a worker that failed to start, while others run, is tried a few times only.
        if (slots.length < threads && (slots.length === 0 || startFailures < 3)) spawn();
        break;
      }
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // busy: an awaited result keeps the process alive
      // The bytes move to the worker (no copy); they are a buffer of their own (jsonlByteBatches).
      slot.worker.postMessage({ id: 0, task: job.task }, [job.task.bytes.buffer]);
    }
    for (const s of slots) if (!s.job && s.ready) s.worker.unref();
    if (queue.length === 0 && slots.every((s) => !s.job)) {
      idleTimer ??= setTimeout(() => {
        idleTimer = null;
        if (queue.length === 0 && slots.every((s) => !s.job)) void close();
      }, idleMs).unref();
    } else if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = null;
    }
  };

  const close = async () => {
    const all = slots.splice(0);
    await Promise.all(all.map((s) => s.worker.terminate()));
  };

  return {
    threads,
    get inThread() {
      return unavailable;
    },
    parse(task) {
      if (unavailable) return Promise.resolve().then(() => opts.inThread(task));
      return new Promise<R>((resolve, reject) => {
        queue.push({ task, resolve, reject });
        pump();
      });
    },
    close,
  };
}
