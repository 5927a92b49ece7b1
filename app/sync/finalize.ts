import { isAppError } from "../lib/errors";
import type { Sql } from "../db/sql";
import { nowOf, RESOURCES, SYNC_JOBS, type ClosedRun, type RunFinalizer, type RunMerge, type SyncDeps } from "./context";
import { changedCustomersOfRun, clearStaged, mergeStaged, stagedCounts } from "./store/staging";
import { advanceWatermark, lockRunForClose, lockRunToFail, markRunFailed, recordRunOutcome } from "./store/runs";

/**
 * Step 5, the last of the sync chain (docs/decisions/075-sync-chain.md): once every bulk query of
 * a run is ingested (or failed), merge the staged rows into the live tables, record the outcome,
 * clear staging, then schedule the healing delta and tell the features (onSyncCompleted). Earlier
 * steps reach it through `deps.finalize` (runFinalizer below), never by importing this module.
 */

const mergeFromStaging: RunMerge = async (tx, run, { complete }) => {
  const staged = await stagedCounts(tx, run.id);
  const initial = run.kind === "initial";
  const how = await mergeStaged(tx, run.id, run.shop, { replaceLines: complete && run.kind === "delta", initial });
  // A delta's customers were collected before the merge; an initial merge touched every customer.
  return { ...staged, changedCustomers: how === "upsert" && !initial ? await changedCustomersOfRun(tx) : null };
};

/**
 * Once every operation of the run is ingested (or failed), merges the staged rows into the live
 * tables, refreshes aggregates, records the outcome and clears staging — one transaction, so a
 * crash leaves either the old state plus staging (merged again on retry) or the new state.
 */
export async function finalizeRun(deps: SyncDeps, runId: string): Promise<boolean> {
  const closed = await deps.sql.transaction((tx) => closeRun(tx, deps, runId, mergeFromStaging));
  if (!closed) return false;
  await afterRunClosed(deps, closed);
  return true;
}

/** The part of finalizeRun inside the caller's transaction; null while the run is not finished. */
export async function closeRun(
  tx: Sql,
  deps: Pick<SyncDeps, "now" | "onOrdersWritten">,
  runId: string,
  merge: RunMerge,
): Promise<ClosedRun | null> {
  const { run, ops } = await lockRunForClose(tx, runId);
  if (!run || run.status !== "running") return null;
  if (!ops.length || ops.some((o) => o.ingestState !== "done" && o.ingestState !== "failed")) return null;
  // A query whose launch Shopify throttled is launched again later: the run is not finished before it.
  if (run.launchAttempts > 0 && RESOURCES.some((r) => !ops.some((o) => o.resource === r))) return null;
  const now = nowOf(deps);
  const failed = ops.find((o) => o.ingestState === "failed");
  const partial = ops.find((o) => o.partial);
  const complete = !failed && !partial;
  const counts = await merge(tx, run, { complete });
  // Figures other features keep from the orders move in this transaction too (ADR 105).
  await deps.onOrdersWritten?.(tx, run.shop, counts.changedCustomers ?? null);
  const errorCode = failed ? (failed.errorCode ?? failed.status) : partial ? (partial.errorCode ?? "PARTIAL") : null;
  await recordRunOutcome(tx, runId, {
    status: failed ? "failed" : "completed",
    partial: !!partial || (!!failed && counts.orders + counts.customers > 0),
    errorCode,
    now,
    orders: counts.orders,
    customers: counts.customers,
  });
  if (complete) await advanceWatermark(tx, run.shop, run, now);
  await clearStaged(tx, runId);
  return { shop: run.shop, complete };
}

/** After the closing transaction committed: schedule the healing delta, tell the features. */
export async function afterRunClosed(deps: SyncDeps, closed: ClosedRun) {
  // The healing delta runs periodically from the first finished sync on (one queued per shop).
  const interval = deps.deltaIntervalMs ?? 6 * 3600_000;
  await deps.queue.send(
    SYNC_JOBS.delta,
    { shop: closed.shop },
    { runAt: new Date(nowOf(deps).getTime() + interval), singletonKey: closed.shop },
  );
  if (closed.complete) await deps.onSyncCompleted?.(closed.shop);
}

/** What the earlier steps get as `deps.finalize` (wired by app/sync/feature.ts and the tests). */
export const runFinalizer: RunFinalizer = { finalizeRun, closeRun, afterRunClosed };

/**
 * A sync job failed for good (its attempts are used up): the run it worked for fails with that
 * error, so the status page says so and the next sync can start; nothing of it was merged, and
 * its staged rows go. `runId` absent (sync.start / sync.delta): only a run of the shop that never
 * got a bulk query started is failed (one that has queries is carried by its own poll jobs).
 */
export async function failRun(
  deps: Pick<SyncDeps, "sql" | "now">,
  input: { shop: string; runId?: string },
  err: unknown,
): Promise<string | null> {
  const code = isAppError(err) ? err.code : "INTERNAL";
  const message = err instanceof Error ? err.message : String(err);
  return deps.sql.transaction(async (tx) => {
    const runId = await lockRunToFail(tx, input);
    if (!runId) return null;
    await markRunFailed(tx, runId, code, message, nowOf(deps));
    await clearStaged(tx, runId);
    return runId;
  });
}
