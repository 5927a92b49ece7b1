import { AppError } from "../lib/errors";
import { fetchBulkOperation, TERMINAL_STATUSES } from "../shopify/bulk/operations";
import { isUniqueViolation } from "../db/sql";
import { nowOf, type SyncDeps } from "./context";
import { streamResult, type BatchWriter, type Source, type StreamState } from "./download";
import { beginDirectLoad, finishDirectLoad, loadDirectRows, shopIsEmpty, stageRows, stagedCustomerCount } from "./store/staging";
import {
  completeOperation,
  loadOperation,
  markIngestStarted,
  pendingBesides,
  recordRemoteStatus,
  saveCheckpoint,
  setIngestState,
  setLinesApplied,
  type OpRow,
} from "./store/runs";

/**
 * Step 4 of the sync chain (docs/decisions/075-sync-chain.md): write one finished bulk operation's
 * records (from the download step) into the run's staging tables, each batch committed with its
 * checkpoint, then hand the run to the last step (`deps.finalize`), which merges it when this was
 * the last operation. A shop's first sync on PostgreSQL may load its orders straight into the live
 * tables instead (docs/decisions/051).
 */

export type IngestOutcome = "pending" | "ingested" | "failed" | "already-done";

/**
 * Ingests one finished bulk operation of a sync run into the run's staging tables, then merges
 * the run if it was the last one. Resumable: each staged batch commits together with the number
 * of lines it covers, so a restart skips those lines (without parsing them) and goes on, and no
 * batch is staged twice. A shop's first sync on PostgreSQL may instead load its orders straight
 * into the live tables (`loadDirect`, docs/decisions/051).
 */
export async function ingestBulkOperation(deps: SyncDeps, bulkId: string): Promise<IngestOutcome> {
  const op = await loadOperation(deps.sql, bulkId);
  if (!op) throw new AppError("NOT_FOUND", `Unknown bulk operation ${bulkId}`);
  if (op.ingestState === "done" || op.ingestState === "failed") {
    await deps.finalize.finalizeRun(deps, op.runId);
    return "already-done";
  }
  const client = await deps.client(op.shop);
  const remote = await fetchBulkOperation(client, bulkId);
  await recordRemoteStatus(deps.sql, bulkId, remote);
  if (!TERMINAL_STATUSES.has(remote.status)) return "pending";

  const partial = remote.status === "FAILED" && !!remote.partialDataUrl;
  const hasData = remote.status === "COMPLETED" || partial;
  if (!hasData) {
    await setIngestState(deps.sql, bulkId, "failed");
    await deps.finalize.finalizeRun(deps, op.runId);
    return "failed";
  }
  await setIngestState(deps.sql, bulkId, "ingesting", partial);
  await markIngestStarted(deps.sql, op.runId, nowOf(deps));

  const initial = (): StreamState => ({
    linesRead: op.linesRead,
    malformedCount: op.malformedCount,
    samples: [...(op.malformedSamples ?? [])],
  });
  const source: Source = { client, bulkId, remote };
  const direct = await loadDirect(deps, op, source, initial(), partial);
  if (direct) return direct;

  const state = initial();
  const outcome = await streamResult(deps, op, source, state, stagedWriter(deps, op));
  if (outcome === "expired") {
    await setIngestState(deps.sql, bulkId, "failed");
    await deps.finalize.finalizeRun(deps, op.runId);
    return "failed";
  }
  await setIngestState(deps.sql, bulkId, "done");
  await deps.finalize.finalizeRun(deps, op.runId);
  return "ingested";
}

/** Staged path: each batch commits into staging together with its checkpoint (resumable). */
function stagedWriter(deps: SyncDeps, op: OpRow): BatchWriter {
  return {
    target: { kind: "staged", runId: op.runId, shop: op.shop },
    write: (b) =>
      deps.sql.transaction(async (tx) => {
        await stageRows(tx, b.rows);
        await saveCheckpoint(tx, op.id, { linesRead: b.upTo, malformedCount: b.malformedCount, samples: b.samples });
      }),
  };
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
  const others = await pendingBesides(deps.sql, op.runId, op.id);
  if (others?.pending !== 0 || others?.kind !== "initial") return null;
  let orders = 0;
  let progress: Promise<unknown> | null = null;
  try {
    const closed = await deps.sql.transaction(async (tx) => {
      if (!(await shopIsEmpty(tx, op.shop))) throw FALL_BACK;
      await beginDirectLoad(tx);
      const write: BatchWriter = {
        target: { kind: "live", shop: op.shop },
        write: async (b) => {
          await loadDirectRows(tx, b.rows);
          orders += b.rows.orderCount;
          // Progress only, on another connection and never awaited: webhooks waiting for this
          // transaction's rows may hold every pooled connection, and waiting for one here would
          // deadlock. "linesRead" stays the committed checkpoint.
          progress ??= setLinesApplied(deps.sql, op.id, b.upTo)
            .catch(() => undefined)
            .finally(() => (progress = null));
        },
      };
      if ((await streamResult(deps, op, source, state, write)) === "expired") throw FALL_BACK;
      await completeOperation(tx, op.id, {
        linesRead: state.linesRead,
        malformedCount: state.malformedCount,
        samples: JSON.stringify(state.samples),
      });
      const closed = await deps.finalize.closeRun(tx, deps, op.runId, async (t, run) => {
        await finishDirectLoad(t, run.id, run.shop, { dropOrphanLines: state.malformedCount > 0 || partial });
        return { orders, customers: await stagedCustomerCount(t, run.id) };
      });
      if (!closed) throw FALL_BACK; // the run was closed or restarted meanwhile
      return closed;
    });
    await deps.finalize.afterRunClosed(deps, closed);
    return "ingested";
  } catch (e) {
    if (e !== FALL_BACK && !isUniqueViolation(e)) throw e;
    await progress;
    await setLinesApplied(deps.sql, op.id, 0);
    return null;
  }
}
