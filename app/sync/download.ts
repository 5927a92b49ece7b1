import { setImmediate as yieldToIo } from "node:timers/promises";
import { AppError, isAppError } from "../lib/errors";
import { fetchBulkOperation, type BulkOperation } from "../shopify/bulk/operations";
import type { ParseTask } from "../shopify/jsonl/batch";
import { bodyChunks, jsonlByteBatches } from "../shopify/jsonl/lines";
import { createParsePool, type ParsePool } from "../shopify/jsonl/parse-pool";
import type { AdminClient } from "../shopify/graphql-client";
import { sleepOf, type SyncDeps } from "./context";
import type { RenderedBatch, RowTarget } from "./store/rows";
import { renderBatchBytes } from "./store/scan";
import { recordRemoteStatus, type MalformedLine, type OpRow } from "./store/runs";

/**
 * Step 3 of the sync chain (docs/decisions/075-sync-chain.md): stream a finished bulk operation's
 * JSONL result file, have it parsed batch by batch on worker threads and rendered there as the
 * COPY text of the writer's tables (docs/decisions/083-sync-parse-workers.md), and hand each batch,
 * in file order, to a writer (the ingest step's: staging, or the direct load), with the checkpoint
 * it completes. Memory stays at a
 * few batches; a cut download resumes from the last written line, with a fresh signed URL when the
 * old one expired.
 */

/** Malformed lines kept per bulk operation for the merchant and support (the count is exact). */
export const MAX_MALFORMED_SAMPLES = 20;

export interface StreamState {
  linesRead: number;
  malformedCount: number;
  samples: MalformedLine[];
}

/** Where the result file comes from; `remote` is refreshed when a download fails (signed URLs expire). */
export interface Source {
  client: AdminClient;
  bulkId: string;
  remote: BulkOperation;
}

/** What a parse worker does to a batch: parse it, then render its rows for `target` (store/rows.ts). */
export type RenderTask = ParseTask & { target: RowTarget };

/** The worker's module; the server build rewrites this expression to its own entry (vite.config.ts, syncParseWorker). */
export const SYNC_PARSE_WORKER_URL = new URL("./download/worker.ts", import.meta.url);

/**
 * The worker's work on the calling thread (the pool's fallback): the byte scanner of store/scan.ts,
 * which hands any line it cannot be sure of to parseJsonlBatch's path (ADR 107).
 */
export const renderInThread = (task: RenderTask): RenderedBatch => renderBatchBytes(task);

let shared: ParsePool<RenderTask, RenderedBatch> | null = null;

/** The process's pool (created on first use; its workers stop when idle and start again on demand). */
export function sharedParsePool(): ParsePool<RenderTask, RenderedBatch> {
  shared ??= createParsePool({ workerUrl: SYNC_PARSE_WORKER_URL, inThread: renderInThread });
  return shared;
}

export interface Batch {
  /** The batch's COPY text for the writer's target, and its counts. */
  rows: RenderedBatch;
  /** Lines of the file this batch completes (the checkpoint). */
  upTo: number;
  /** Malformed lines up to the checkpoint (the whole file's so far) and their samples, as saved. */
  malformedCount: number;
  samples: string;
}
/** A writer, and the tables its batches are rendered for. */
export interface BatchWriter {
  target: RowTarget;
  write(batch: Batch): Promise<void>;
}

/** Downloads and writes the whole file, retrying cut downloads from the last written line. */
export async function streamResult(
  deps: SyncDeps,
  op: OpRow,
  source: Source,
  state: StreamState,
  write: BatchWriter,
): Promise<"done" | "expired"> {
  const sleep = sleepOf(deps);
  for (let attempt = 1; ; attempt++) {
    const r = source.remote;
    const url = r.status === "COMPLETED" ? r.url : r.partialDataUrl;
    if (!url) return "done"; // a completed query with no objects has no file
    try {
      await downloadAndWrite(deps, op, url, r.fileSize, state, write);
      return "done";
    } catch (e) {
      if (!isAppError(e, "NETWORK") || attempt >= 5) throw e;
      await sleep(Math.min(10_000, 500 * 2 ** (attempt - 1)));
      // The signed URL may have expired: ask Shopify for a fresh one (or learn it is EXPIRED).
      source.remote = await fetchBulkOperation(source.client, source.bulkId);
      await recordRemoteStatus(deps.sql, source.bulkId, source.remote);
      if (source.remote.status === "EXPIRED") return "expired";
    }
  }
}

async function downloadAndWrite(deps: SyncDeps, op: OpRow, url: string, fileSize: number | null, state: StreamState, write: BatchWriter) {
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url);
  } catch (e) {
    throw new AppError("NETWORK", `Bulk result download failed: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    // 403 = signature expired; 5xx = storage hiccup. Both: retry with a fresh URL.
    throw new AppError("NETWORK", `Bulk result download answered ${res.status}`, { retryable: true });
  }
  const batchLines = deps.batchLines ?? 20_000;
  const skip = state.linesRead; // lines committed by an earlier attempt or process: counted, not parsed
  const parser = sharedParsePool();

  // Three stages overlap: this thread reads the download and cuts it into batches of lines; the
  // parse workers parse and validate up to `parser.threads` batches at once; one batch is written
  // (by this thread; PostgreSQL works in its own process) while the next ones are parsed. Results
  // are taken in file order, so batches still commit one after another, in order, each with its
  // checkpoint and the malformed lines up to it.
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const write1 = async (p: RenderedBatch, upTo: number) => {
    await writing;
    if (writeError) throw writeError;
    state.malformedCount += p.malformedCount;
    for (const s of p.samples) if (state.samples.length < MAX_MALFORMED_SAMPLES) state.samples.push(s);
    if (upTo <= state.linesRead) return;
    const malformed = state.malformedCount,
      samples = JSON.stringify(state.samples);
    writing = write
      .write({ rows: p, upTo, malformedCount: malformed, samples })
      .then(async () => {
        state.linesRead = upTo;
        await deps.onCheckpoint?.({ bulkId: op.id, linesRead: upTo });
      })
      // Kept, not thrown here: the next write (or the final drain) rethrows it.
      .catch((e) => {
        writeError = writeError ?? e;
      });
  };
  const drain = async () => {
    await writing;
    if (writeError) throw writeError;
  };
  // Parsed batches not yet written, oldest first. Bounded: the download is not read further while
  // it is full, so memory stays at a few batches and TCP backpressure reaches the server.
  const parsing: Array<{ parsed: Promise<RenderedBatch>; upTo: number }> = [];
  const writeOldest = async () => {
    const next = parsing.shift()!;
    await write1(await next.parsed, next.upTo);
  };

  let bytesSeen = 0;
  // Stream failures become NETWORK errors here, before the splitter could emit a cut-off last line.
  const counted = (async function* () {
    try {
      for await (const chunk of bodyChunks(res.body!)) {
        bytesSeen += chunk.byteLength;
        yield chunk;
      }
    } catch (e) {
      throw new AppError("NETWORK", `Bulk result download interrupted: ${(e as Error).message}`, { cause: e, retryable: true });
    }
    if (fileSize != null && bytesSeen < fileSize) {
      throw new AppError("NETWORK", `Bulk result download ended after ${bytesSeen} of ${fileSize} bytes`, { retryable: true });
    }
  })();
  let lineNo = skip;
  try {
    for await (const batch of jsonlByteBatches(counted, { linesPerBatch: batchLines, skipLines: skip })) {
      const parsed = parser.parse({ bytes: batch.bytes, firstLine: lineNo + 1, maxSamples: MAX_MALFORMED_SAMPLES, target: write.target });
      parsed.catch(() => undefined); // awaited in order below; this only marks a rejection as seen meanwhile
      lineNo += batch.lines;
      parsing.push({ parsed, upTo: lineNo });
      while (parsing.length > parser.threads) await writeOldest();
      // A buffered download resolves reads as microtasks, which would starve the database
      // socket's I/O callbacks: let them run between batches.
      await yieldToIo();
    }
  } catch (e) {
    // Cut mid-file: write the complete lines read so far (the splitter's last batch), retry the
    // rest from there.
    if (isAppError(e, "NETWORK")) {
      while (parsing.length) await writeOldest();
      await drain();
    } else {
      await writing; // never leave a write running behind the error
    }
    throw e;
  }
  while (parsing.length) await writeOldest();
  await drain();
}
