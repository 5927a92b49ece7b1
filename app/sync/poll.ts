import { fetchBulkOperation, TERMINAL_STATUSES } from "../shopify/bulk/operations";
import { nowOf, RESOURCES, schedulePoll, SYNC_JOBS, type SyncDeps } from "./context";
import { launchBulkQueries } from "./start";
import { countPoll, loadRun, operationsOfRun, recordRemoteStatus, runOfOperation } from "./store/runs";

/**
 * Step 2 of the sync chain (docs/decisions/075-sync-chain.md): find out when a run's bulk queries
 * finished — Shopify's bulk_operations/finish webhook, or polling with back-off when none came —
 * and hand each finished one to ingestion (a job, so this step imports no later one). Queries
 * whose launch Shopify throttled are launched again from here (the start step).
 */

/** bulk_operations/finish: hand the operation to ingestion if it is one of ours. */
export async function onBulkOperationFinished(deps: SyncDeps, input: { shop: string; bulkId: string }): Promise<boolean> {
  const runId = await runOfOperation(deps.sql, input.bulkId, input.shop);
  if (!runId) return false; // someone else's bulk operation (or a run already discarded)
  await deps.queue.send(SYNC_JOBS.ingest, { shop: input.shop, runId, bulkId: input.bulkId }, { singletonKey: input.bulkId });
  return true;
}

/**
 * Fallback when no finish webhook arrives: asks Shopify about each operation still waiting, hands
 * finished ones to ingestion, and polls again later with back-off while any is still running.
 */
export async function pollSync(deps: SyncDeps, input: { runId: string }): Promise<"done" | "waiting"> {
  const run = await loadRun(deps.sql, input.runId);
  if (!run || run.status !== "running") return "done";
  const ops = await operationsOfRun(deps.sql, run.id);
  const missing = RESOURCES.filter((r) => !ops.some((o) => o.resource === r));
  if (missing.length) {
    // Queries not started yet: Shopify throttled their launch, or the process died between
    // claiming the run and starting them. Start them now (the launch schedules the next poll).
    await launchBulkQueries(deps, run.shop, run.id, run.since ? new Date(run.since) : null, missing);
    return "waiting";
  }
  let waiting = false;
  const client = await deps.client(run.shop);
  for (const op of ops) {
    if (op.ingestState === "done" || op.ingestState === "failed") continue;
    if (op.ingestState === "waiting") {
      const remote = await fetchBulkOperation(client, op.id);
      await recordRemoteStatus(deps.sql, op.id, remote);
      if (!TERMINAL_STATUSES.has(remote.status)) {
        waiting = true;
        continue;
      }
    }
    // Finished (or ingestion started earlier and may have died): the singleton key keeps one job.
    await deps.queue.send(SYNC_JOBS.ingest, { shop: run.shop, runId: run.id, bulkId: op.id }, { singletonKey: op.id });
    waiting = true;
  }
  await countPoll(deps.sql, run.id, nowOf(deps));
  await deps.finalize.finalizeRun(deps, run.id);
  if (waiting) await schedulePoll(deps, run.shop, run.id, run.pollCount + 1);
  return waiting ? "waiting" : "done";
}
