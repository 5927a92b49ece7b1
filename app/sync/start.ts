import { type AppError, isAppError } from "../lib/errors";
import { startCustomersExport } from "../shopify/customers";
import { startOrdersExport } from "../shopify/orders";
import { graphqlErrorCodes } from "../shopify/graphql-client";
import { nowOf, schedulePoll, SYNC_JOBS, type SyncDeps, type SyncResource } from "./context";
import {
  claimRun,
  clearLaunchNote,
  launchAttemptsOf,
  latestRunOf,
  operationsOfRun,
  recordFailedLaunch,
  recordLaunchedOperation,
  recordLaunchRetry,
  type SyncKind,
} from "./store/runs";

/**
 * Step 1 of the sync chain (docs/decisions/075-sync-chain.md): claim a run and launch its bulk
 * queries, one per resource (orders, customers), relaunching with back-off when Shopify throttles.
 * Each finished query is then ingested into staging (webhook bulk_operations/finish, or the poll
 * step when no webhook came) and the run is merged by whichever ingestion finishes last.
 */
export type { SyncKind } from "./store/runs";

/** Delta queries overlap the previous sync by this much (Shopify's search index lags writes). */
export const WATERMARK_OVERLAP_MS = 15 * 60_000;

export interface StartResult {
  runId: string;
  started: boolean;
  kind: SyncKind;
}

const EXPORTS: Record<SyncResource, typeof startOrdersExport> = { orders: startOrdersExport, customers: startCustomersExport };

/**
 * Starts a sync of a shop unless one is running (then returns that one). `delta` falls back to a
 * full sync when the shop has never completed one.
 */
export async function startSync(deps: SyncDeps, input: { shop: string; kind?: SyncKind }): Promise<StartResult> {
  const { shop } = input;
  const claimed = await claimRun(deps.sql, { shop, kind: input.kind, now: nowOf(deps), overlapMs: WATERMARK_OVERLAP_MS });
  if (!claimed.started) {
    // Re-drive a run whose jobs may have been lost (e.g. a crash): polling is idempotent.
    await schedulePoll(deps, shop, claimed.runId, 0);
    return { runId: claimed.runId, started: false, kind: claimed.kind };
  }
  await launchBulkQueries(deps, shop, claimed.runId, claimed.since);
  return { runId: claimed.runId, started: true, kind: claimed.kind };
}

/** Launch attempts for a run whose bulk queries Shopify throttled (or the network cut) before they started. */
export const MAX_THROTTLED_LAUNCHES = 12;
export const MAX_NETWORK_LAUNCHES = 5;

const retryableLaunch = (e: unknown) => isAppError(e, "THROTTLED") || isAppError(e, "NETWORK");

/**
 * Starts the run's bulk queries (the `resources` not started yet). A query Shopify throttled or
 * the network cut is not a failed sync: the run stays `running` with the reason in errorCode /
 * errorMessage and launches again later with back-off (Shopify's retry hint wins), up to
 * MAX_THROTTLED_LAUNCHES (MAX_NETWORK_LAUNCHES for network errors); any other refusal fails
 * that resource at once.
 */
export async function launchBulkQueries(
  deps: SyncDeps,
  shop: string,
  runId: string,
  since: Date | null,
  resources: readonly SyncResource[] = ["orders", "customers"],
) {
  const filter = since ? `updated_at:>'${since.toISOString().replace(/\.\d{3}Z$/, "Z")}'` : null;
  let results: PromiseSettledResult<string>[];
  try {
    const client = await deps.client(shop);
    // Up to 5 bulk queries may run per shop in 2026-10: both resources export at the same time.
    results = await Promise.allSettled(resources.map((r) => EXPORTS[r](client, filter)));
  } catch (e) {
    results = resources.map(() => ({ status: "rejected", reason: e }));
  }
  const attempts = await launchAttemptsOf(deps.sql, runId);
  const retryable = results.map((r) => r.status === "rejected" && retryableLaunch(r.reason));
  const throttled = results.some((r) => r.status === "rejected" && isAppError(r.reason, "THROTTLED"));
  const canRetry = attempts + 1 < (throttled ? MAX_THROTTLED_LAUNCHES : MAX_NETWORK_LAUNCHES);
  let retryAfterMs = 0;
  for (let i = 0; i < resources.length; i++) {
    const r = results[i]!;
    const resource = resources[i]!;
    if (r.status === "fulfilled") {
      await recordLaunchedOperation(deps.sql, { id: r.value, runId, shop, resource, now: nowOf(deps) });
    } else if (retryable[i] && canRetry) {
      retryAfterMs = Math.max(retryAfterMs, (r.reason as AppError).retryAfterMs ?? 0);
    } else {
      const err = r.reason;
      const code = graphqlErrorCodes(err)[0] ?? (isAppError(err) ? err.code : "INTERNAL");
      await recordFailedLaunch(deps.sql, {
        runId,
        shop,
        resource,
        code,
        message: (err as Error)?.message ?? String(err),
        now: nowOf(deps),
      });
    }
  }
  if (retryable.some(Boolean) && canRetry) {
    const err = results.find((r, i) => retryable[i] && r.status === "rejected") as PromiseRejectedResult;
    const code = (err.reason as AppError).code;
    const delay = Math.max(retryAfterMs, Math.min(deps.maxPollDelayMs ?? 15 * 60_000, (deps.pollDelayMs ?? 60_000) * 2 ** attempts));
    const max = throttled ? MAX_THROTTLED_LAUNCHES : MAX_NETWORK_LAUNCHES;
    const message = `${code === "THROTTLED" ? "Shopify asked the app to slow down" : "Shopify could not be reached"}; the sync starts again by itself (attempt ${attempts + 2} of ${max}).`;
    await recordLaunchRetry(deps.sql, runId, code, message, nowOf(deps));
    await deps.queue.send(
      SYNC_JOBS.poll,
      { shop, runId },
      { runAt: new Date(nowOf(deps).getTime() + delay), singletonKey: `${runId}:launch:${attempts + 1}` },
    );
    return;
  }
  if (attempts > 0) await clearLaunchNote(deps.sql, runId);
  const ops = await operationsOfRun(deps.sql, runId);
  if (ops.every((o) => o.ingestState === "failed")) {
    // Nothing to ingest: the run closes now (the chain's last step, handed in).
    await deps.finalize.finalizeRun(deps, runId);
    return;
  }
  await schedulePoll(deps, shop, runId, 0);
}

/** The scheduled delta: heals whatever webhooks missed since the watermark. */
export async function runDeltaSync(deps: SyncDeps, input: { shop: string }): Promise<StartResult> {
  return startSync(deps, { shop: input.shop, kind: "delta" });
}

/**
 * After each authentication: the first sync starts without the merchant doing anything; a run
 * left running by a crashed process is re-driven. A failed run waits for the merchant's retry.
 */
export async function ensureInitialSync(
  deps: Pick<SyncDeps, "sql" | "queue" | "now" | "pollDelayMs" | "maxPollDelayMs">,
  shop: string,
): Promise<"enqueued" | "redriven" | "nothing"> {
  const last = await latestRunOf(deps.sql, shop);
  if (!last) {
    await deps.queue.send(SYNC_JOBS.start, { shop, kind: "initial" }, { singletonKey: shop });
    return "enqueued";
  }
  if (last.status === "running") {
    await schedulePoll(deps, shop, last.id, 0);
    return "redriven";
  }
  return "nothing";
}

/** The merchant's Retry (or "sync now"): a full sync, queued; never run inside the request. */
export async function requestSync(deps: Pick<SyncDeps, "queue">, shop: string): Promise<{ queued: boolean }> {
  const id = await deps.queue.send(SYNC_JOBS.start, { shop, kind: "initial" }, { singletonKey: shop });
  return { queued: id !== null };
}
