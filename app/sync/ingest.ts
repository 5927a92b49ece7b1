import { setImmediate as yieldToIo } from "node:timers/promises";
import { AppError, isAppError } from "../lib/errors";
import { fetchBulkOperation, TERMINAL_STATUSES, type BulkOperation } from "../shopify/bulk/operations";
import { parseBulkLine, type CustomerRecord, type LineRecord, type OrderRecord } from "../shopify/bulk/records";
import { bodyChunks, jsonlLineBatches } from "../shopify/jsonl/lines";
import type { AdminClient } from "../shopify/graphql-client";
import { nowOf, sleepOf, type SyncDeps } from "./deps";
import { isUniqueViolation } from "../db/sql";
import { afterRunClosed, closeRun, finalizeRun } from "./run";
import { recordRemoteStatus } from "./bulk-status";
import { beginDirectLoad, finishDirectLoad, loadDirectBatch, shopIsEmpty, stageCustomers, stageLines, stageOrders } from "./store";

/** Malformed lines kept per bulk operation for the merchant and support (the count is exact). */
export const MAX_MALFORMED_SAMPLES = 20;

export interface MalformedLine {
  line: number;
  error: string;
}

interface OpRow {
  id: string;
  runId: string;
  shop: string;
  resource: string;
  status: string;
  ingestState: string;
  linesRead: number;
  malformedCount: number;
  malformedSamples: MalformedLine[];
}

export async function loadOp(deps: SyncDeps, bulkId: string): Promise<OpRow | undefined> {
  const rows = await deps.sql.query<OpRow>(
    `SELECT id, "runId", shop, resource, status, "ingestState", "linesRead", "malformedCount", "malformedSamples" FROM "SyncBulkOperation" WHERE id = $1`,
    [bulkId],
  );
  return rows[0];
}

export type IngestOutcome = "pending" | "ingested" | "failed" | "already-done";

/**
 * Ingests one finished bulk operation of a sync run into the run's staging tables, then merges
 * the run if it was the last one. Resumable: each staged batch commits together with the number
 * of lines it covers, so a restart skips those lines (without parsing them) and goes on, and no
 * batch is staged twice. A shop's first sync on PostgreSQL may instead load its orders straight
 * into the live tables (`loadDirect`, docs/decisions/051).
 */
export async function ingestBulkOperation(deps: SyncDeps, bulkId: string): Promise<IngestOutcome> {
  const op = await loadOp(deps, bulkId);
  if (!op) throw new AppError("NOT_FOUND", `Unknown bulk operation ${bulkId}`);
  if (op.ingestState === "done" || op.ingestState === "failed") {
    await finalizeRun(deps, op.runId);
    return "already-done";
  }
  const client = await deps.client(op.shop);
  const remote = await fetchBulkOperation(client, bulkId);
  await recordRemoteStatus(deps, bulkId, remote);
  if (!TERMINAL_STATUSES.has(remote.status)) return "pending";

  const partial = remote.status === "FAILED" && !!remote.partialDataUrl;
  const hasData = remote.status === "COMPLETED" || partial;
  if (!hasData) {
    await deps.sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'failed' WHERE id = $1`, [bulkId]);
    await finalizeRun(deps, op.runId);
    return "failed";
  }
  await deps.sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'ingesting', partial = $2 WHERE id = $1`, [bulkId, partial]);
  await deps.sql.query(`UPDATE "SyncRun" SET "ingestStartedAt" = coalesce("ingestStartedAt", $2), "updatedAt" = $2 WHERE id = $1`, [op.runId, nowOf(deps)]);

  const initial = (): StreamState => ({ linesRead: op.linesRead, malformedCount: op.malformedCount, samples: [...(op.malformedSamples ?? [])] });
  const source: Source = { client, bulkId, remote };
  const direct = await loadDirect(deps, op, source, initial(), partial);
  if (direct) return direct;

  const state = initial();
  const outcome = await streamResult(deps, op, source, state, stagedWriter(deps, op));
  if (outcome === "expired") {
    await deps.sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'failed' WHERE id = $1`, [bulkId]);
    await finalizeRun(deps, op.runId);
    return "failed";
  }
  await deps.sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'done' WHERE id = $1`, [bulkId]);
  await finalizeRun(deps, op.runId);
  return "ingested";
}

interface StreamState {
  linesRead: number;
  malformedCount: number;
  samples: MalformedLine[];
}

/** Where the result file comes from; `remote` is refreshed when a download fails (signed URLs expire). */
interface Source {
  client: AdminClient;
  bulkId: string;
  remote: BulkOperation;
}

interface Batch {
  orders: OrderRecord[];
  lines: LineRecord[];
  customers: CustomerRecord[];
  /** Lines of the file this batch completes (the checkpoint). */
  upTo: number;
  malformedCount: number;
  samples: string;
}
type BatchWriter = (batch: Batch) => Promise<void>;

/** Downloads and writes the whole file, retrying cut downloads from the last written line. */
async function streamResult(deps: SyncDeps, op: OpRow, source: Source, state: StreamState, write: BatchWriter): Promise<"done" | "expired"> {
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
      await recordRemoteStatus(deps, source.bulkId, source.remote);
      if (source.remote.status === "EXPIRED") return "expired";
    }
  }
}

/** Staged path: each batch commits into staging together with its checkpoint (resumable). */
function stagedWriter(deps: SyncDeps, op: OpRow): BatchWriter {
  return (b) =>
    deps.sql.transaction(async (tx) => {
      await stageOrders(tx, op.runId, op.shop, b.orders);
      await stageLines(tx, op.runId, op.shop, b.lines);
      await stageCustomers(tx, op.runId, op.shop, b.customers);
      await tx.query(`UPDATE "SyncBulkOperation" SET "linesRead" = $2, "malformedCount" = $3, "malformedSamples" = $4 WHERE id = $1`, [op.id, b.upTo, b.malformedCount, b.samples]);
    });
}

const FALL_BACK = new Error("direct load not possible: use staging");

/**
 * The direct load of docs/decisions/051: a shop's first sync on PostgreSQL, when this orders export
 * is the last unfinished operation of the run. Everything, closing the run included, happens in one
 * transaction, so nothing is visible before it commits; a crash rolls it back and the retry takes
 * the staged path (only a first attempt loads directly). Anything written for the shop meanwhile
 * (a webhook) ends it with a unique violation: then it is rolled back and the staged path runs.
 * Returns null when the staged path should run.
 */
async function loadDirect(deps: SyncDeps, op: OpRow, source: Source, state: StreamState, partial: boolean): Promise<IngestOutcome | null> {
  // op is as loaded before this attempt marked it "ingesting": "waiting" means a first attempt.
  if (deps.directLoad === false || deps.sql.engine !== "postgres" || op.resource !== "orders" || op.ingestState !== "waiting") return null;
  const others = await deps.sql.query<{ pending: number; kind: string }>(
    `SELECT (SELECT count(*)::int FROM "SyncBulkOperation" WHERE "runId" = $1 AND id <> $2 AND "ingestState" NOT IN ('done', 'failed')) AS pending,
            (SELECT kind FROM "SyncRun" WHERE id = $1) AS kind`,
    [op.runId, op.id],
  );
  if (others[0]?.pending !== 0 || others[0]?.kind !== "initial") return null;
  let orders = 0;
  let progress: Promise<unknown> | null = null;
  try {
    const closed = await deps.sql.transaction(async (tx) => {
      if (!(await shopIsEmpty(tx, op.shop))) throw FALL_BACK;
      await beginDirectLoad(tx);
      const write: BatchWriter = async (b) => {
        await loadDirectBatch(tx, op.shop, b.orders, b.lines);
        orders += b.orders.length;
        // Progress only, on another connection and never awaited: webhooks waiting for this
        // transaction's rows may hold every pooled connection, and waiting for one here would
        // deadlock. "linesRead" stays the committed checkpoint.
        progress ??= deps.sql
          .query(`UPDATE "SyncBulkOperation" SET "linesApplied" = $2 WHERE id = $1`, [op.id, b.upTo])
          .catch(() => undefined)
          .finally(() => (progress = null));
      };
      if ((await streamResult(deps, op, source, state, write)) === "expired") throw FALL_BACK;
      await tx.query(
        `UPDATE "SyncBulkOperation" SET "ingestState" = 'done', "linesRead" = $2, "malformedCount" = $3, "malformedSamples" = $4 WHERE id = $1`,
        [op.id, state.linesRead, state.malformedCount, JSON.stringify(state.samples)],
      );
      const closed = await closeRun(tx, deps, op.runId, async (t, run) => {
        await finishDirectLoad(t, run.id, run.shop, { dropOrphanLines: state.malformedCount > 0 || partial });
        const customers = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM "SyncStageCustomer" WHERE "runId" = $1`, [run.id]);
        return { orders, customers: customers[0]?.n ?? 0 };
      });
      if (!closed) throw FALL_BACK; // the run was closed or restarted meanwhile
      return closed;
    });
    await afterRunClosed(deps, closed);
    return "ingested";
  } catch (e) {
    if (e !== FALL_BACK && !isUniqueViolation(e)) throw e;
    await progress;
    await deps.sql.query(`UPDATE "SyncBulkOperation" SET "linesApplied" = 0 WHERE id = $1`, [op.id]);
    return null;
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
  const skip = state.linesRead; // lines committed by an earlier attempt or process
  let lineNo = 0;
  let orders: OrderRecord[] = [];
  let lines: LineRecord[] = [];
  let customers: CustomerRecord[] = [];
  let pending = 0;

  // One batch is written while the next one is parsed (PostgreSQL works in its own process, so
  // both cores are busy); batches still commit one after another, in order, each with its checkpoint.
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const flush = async () => {
    await writing;
    if (writeError) throw writeError;
    if (lineNo <= state.linesRead) return;
    const o = orders, l = lines, c = customers, upTo = lineNo, malformed = state.malformedCount, samples = JSON.stringify(state.samples);
    orders = []; lines = []; customers = []; pending = 0;
    writing = write({ orders: o, lines: l, customers: c, upTo, malformedCount: malformed, samples })
      .then(async () => {
        state.linesRead = upTo;
        await deps.onCheckpoint?.({ bulkId: op.id, linesRead: upTo });
      })
      // Kept, not thrown here: the next flush (or the final drain) rethrows it.
      .catch((e) => { writeError = writeError ?? e; });
  };
  const drain = async () => {
    await writing;
    if (writeError) throw writeError;
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
  try {
    let sinceYield = 0;
    for await (const batch of jsonlLineBatches(counted)) {
      // A buffered download resolves reads as microtasks, which would starve the database
      // socket's I/O callbacks until the buffer is drained: let them run now and then.
      if ((sinceYield += batch.length) >= 1000) {
        sinceYield = 0;
        await yieldToIo();
      }
      for (let i = 0; i < batch.length; i++) {
        lineNo++;
        if (lineNo <= skip) continue;
        const text = batch[i]!;
        if (text.length === 0 || (text.length < 4 && text.trim() === "")) continue;
        const p = parseBulkLine(text);
        if (p.ok) {
          const r = p.record;
          if (r.kind === "order") orders.push(r);
          else if (r.kind === "line") lines.push(r);
          else customers.push(r);
        } else {
          state.malformedCount++;
          if (state.samples.length < MAX_MALFORMED_SAMPLES) state.samples.push({ line: lineNo, error: p.error.slice(0, 300) });
        }
        if (++pending >= batchLines) await flush();
      }
    }
  } catch (e) {
    // Cut mid-file: keep the complete lines read so far, retry the rest from there.
    if (isAppError(e, "NETWORK")) {
      await flush();
      await drain();
    } else {
      await writing; // never leave a write running behind the error
    }
    throw e;
  }
  await flush();
  await drain();
}
