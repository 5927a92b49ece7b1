import { randomUUID } from "node:crypto";
import { type AppError, isAppError } from "../lib/errors";
import { fetchBulkOperation, runBulkQuery, TERMINAL_STATUSES } from "../shopify/bulk/operations";
import { bulkQueryText, CUSTOMERS_BULK_QUERY, ORDERS_BULK_QUERY } from "../shopify/documents/orders";
import { graphqlErrorCodes } from "../shopify/graphql-client";
import type { Sql } from "../db/sql";
import { nowOf, SYNC_JOBS, type SyncDeps } from "./deps";
import { recordRemoteStatus } from "./bulk-status";
import { clearStaged, mergeStaged } from "./store";

/**
 * A sync run: one bulk query per resource (orders, customers) started concurrently, each ingested
 * into staging when it finishes (webhook bulk_operations/finish, or polling when no webhook came),
 * then merged into the live tables in one transaction by whichever ingestion finishes last.
 */
export type SyncKind = "initial" | "delta";

/** Delta queries overlap the previous sync by this much (Shopify's search index lags writes). */
export const WATERMARK_OVERLAP_MS = 15 * 60_000;

export interface StartResult {
  runId: string;
  started: boolean;
  kind: SyncKind;
}

interface RunRow {
  id: string;
  shop: string;
  kind: SyncKind;
  status: string;
  startedAt: Date;
  pollCount: number;
  since?: Date | null;
}

const RESOURCES = [
  { resource: "orders", doc: ORDERS_BULK_QUERY },
  { resource: "customers", doc: CUSTOMERS_BULK_QUERY },
] as const;

/**
 * Starts a sync of a shop unless one is running (then returns that one). `delta` falls back to a
 * full sync when the shop has never completed one.
 */
export async function startSync(deps: SyncDeps, input: { shop: string; kind?: SyncKind }): Promise<StartResult> {
  const { shop } = input;
  const now = nowOf(deps);
  const claimed = await deps.sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`winback-sync:${shop}`]);
    const running = await tx.query<{ id: string; kind: SyncKind }>(`SELECT id, kind FROM "SyncRun" WHERE shop = $1 AND status = 'running' LIMIT 1`, [shop]);
    if (running[0]) return { runId: running[0].id, started: false, kind: running[0].kind, since: null };
    const st = await tx.query<{ watermark: Date | null }>(`SELECT watermark FROM "SyncState" WHERE shop = $1`, [shop]);
    const watermark = st[0]?.watermark ?? null;
    const kind: SyncKind = input.kind === "delta" && watermark ? "delta" : "initial";
    const since = kind === "delta" ? new Date(new Date(watermark!).getTime() - WATERMARK_OVERLAP_MS) : null;
    const runId = randomUUID();
    await tx.query(`INSERT INTO "SyncRun" (id, shop, kind, status, since, "startedAt", "updatedAt") VALUES ($1, $2, $3, 'running', $4, $5, $5)`, [runId, shop, kind, since, now]);
    return { runId, started: true, kind, since };
  });
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
async function launchBulkQueries(deps: SyncDeps, shop: string, runId: string, since: Date | null, resources: ReadonlyArray<(typeof RESOURCES)[number]> = RESOURCES) {
  const filter = since ? `updated_at:>'${since.toISOString().replace(/\.\d{3}Z$/, "Z")}'` : null;
  let results: PromiseSettledResult<string>[];
  try {
    const client = await deps.client(shop);
    // Up to 5 bulk queries may run per shop in 2026-10: both resources export at the same time.
    results = await Promise.allSettled(resources.map((r) => runBulkQuery(client, bulkQueryText(r.doc, filter))));
  } catch (e) {
    results = resources.map(() => ({ status: "rejected", reason: e }));
  }
  const attempts = (await deps.sql.query<{ launchAttempts: number }>(`SELECT "launchAttempts" FROM "SyncRun" WHERE id = $1`, [runId]))[0]?.launchAttempts ?? 0;
  const retryable = results.map((r) => r.status === "rejected" && retryableLaunch(r.reason));
  const throttled = results.some((r) => r.status === "rejected" && isAppError(r.reason, "THROTTLED"));
  const canRetry = attempts + 1 < (throttled ? MAX_THROTTLED_LAUNCHES : MAX_NETWORK_LAUNCHES);
  let retryAfterMs = 0;
  for (let i = 0; i < resources.length; i++) {
    const r = results[i]!;
    const resource = resources[i]!.resource;
    if (r.status === "fulfilled") {
      await deps.sql.query(`INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource, "createdAt") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, [r.value, runId, shop, resource, nowOf(deps)]);
    } else if (retryable[i] && canRetry) {
      retryAfterMs = Math.max(retryAfterMs, (r.reason as AppError).retryAfterMs ?? 0);
    } else {
      await failLaunch(deps, shop, runId, resource, r.reason);
    }
  }
  if (retryable.some(Boolean) && canRetry) {
    const err = results.find((r, i) => retryable[i] && r.status === "rejected") as PromiseRejectedResult;
    const code = (err.reason as AppError).code;
    const delay = Math.max(retryAfterMs, Math.min(deps.maxPollDelayMs ?? 15 * 60_000, (deps.pollDelayMs ?? 60_000) * 2 ** attempts));
    await deps.sql.query(`UPDATE "SyncRun" SET "launchAttempts" = "launchAttempts" + 1, "errorCode" = $2, "errorMessage" = $3, "updatedAt" = $4 WHERE id = $1`, [
      runId, code, `${code === "THROTTLED" ? "Shopify asked the app to slow down" : "Shopify could not be reached"}; the sync starts again by itself (attempt ${attempts + 2} of ${throttled ? MAX_THROTTLED_LAUNCHES : MAX_NETWORK_LAUNCHES}).`, nowOf(deps),
    ]);
    await deps.queue.send(SYNC_JOBS.poll, { shop, runId }, { runAt: new Date(nowOf(deps).getTime() + delay), singletonKey: `${runId}:launch:${attempts + 1}` });
    return;
  }
  if (attempts > 0) {
    // Launched after retries: the throttling note is history now.
    await deps.sql.query(`UPDATE "SyncRun" SET "errorCode" = NULL, "errorMessage" = NULL WHERE id = $1 AND "errorCode" IN ('THROTTLED', 'NETWORK')`, [runId]);
  }
  const ops = await deps.sql.query<{ ingestState: string }>(`SELECT "ingestState" FROM "SyncBulkOperation" WHERE "runId" = $1`, [runId]);
  if (ops.every((o) => o.ingestState === "failed")) {
    await finalizeRun(deps, runId);
    return;
  }
  await schedulePoll(deps, shop, runId, 0);
}

/** A bulk query Shopify refused to start is recorded as a failed operation of the run. */
async function failLaunch(deps: SyncDeps, shop: string, runId: string, resource: string, err: unknown) {
  const code = graphqlErrorCodes(err)[0] ?? (isAppError(err) ? err.code : "INTERNAL");
  await deps.sql.query(
    `INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource, status, "errorCode", "ingestState", "malformedSamples", "createdAt")
     VALUES ($1, $2, $3, $4, 'FAILED', $5, 'failed', $6, $7) ON CONFLICT (id) DO NOTHING`,
    [`not-started:${runId}:${resource}`, runId, shop, resource, code, JSON.stringify([]), nowOf(deps)],
  );
  await deps.sql.query(`UPDATE "SyncRun" SET "errorMessage" = coalesce("errorMessage", $2) WHERE id = $1`, [runId, (err as Error)?.message ?? String(err)]);
}

async function schedulePoll(deps: SyncDeps, shop: string, runId: string, pollCount: number) {
  const base = deps.pollDelayMs ?? 60_000;
  const delay = Math.min(deps.maxPollDelayMs ?? 15 * 60_000, base * 2 ** pollCount);
  // The key carries the poll number: a running poll job schedules its successor (the in-process
  // queue would refuse a second job under the key of the one that is running).
  await deps.queue.send(SYNC_JOBS.poll, { shop, runId }, { runAt: new Date(nowOf(deps).getTime() + delay), singletonKey: `${runId}:${pollCount}` });
}

/** bulk_operations/finish: hand the operation to ingestion if it is one of ours. */
export async function onBulkOperationFinished(deps: SyncDeps, input: { shop: string; bulkId: string }): Promise<boolean> {
  const rows = await deps.sql.query<{ runId: string }>(`SELECT "runId" FROM "SyncBulkOperation" WHERE id = $1 AND shop = $2`, [input.bulkId, input.shop]);
  if (!rows[0]) return false; // someone else's bulk operation (or a run already discarded)
  await deps.queue.send(SYNC_JOBS.ingest, { shop: input.shop, runId: rows[0].runId, bulkId: input.bulkId }, { singletonKey: input.bulkId });
  return true;
}

/**
 * Fallback when no finish webhook arrives: asks Shopify about each operation still waiting, hands
 * finished ones to ingestion, and polls again later with back-off while any is still running.
 */
export async function pollSync(deps: SyncDeps, input: { runId: string }): Promise<"done" | "waiting"> {
  const run = (await deps.sql.query<RunRow>(`SELECT id, shop, kind, status, "startedAt", "pollCount", since FROM "SyncRun" WHERE id = $1`, [input.runId]))[0];
  if (!run || run.status !== "running") return "done";
  const ops = await deps.sql.query<{ id: string; ingestState: string; resource: string }>(`SELECT id, "ingestState", resource FROM "SyncBulkOperation" WHERE "runId" = $1`, [run.id]);
  const missing = RESOURCES.filter((r) => !ops.some((o) => o.resource === r.resource));
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
      await recordRemoteStatus(deps, op.id, remote);
      if (!TERMINAL_STATUSES.has(remote.status)) {
        waiting = true;
        continue;
      }
    }
    // Finished (or ingestion started earlier and may have died): the singleton key keeps one job.
    await deps.queue.send(SYNC_JOBS.ingest, { shop: run.shop, runId: run.id, bulkId: op.id }, { singletonKey: op.id });
    waiting = true;
  }
  await deps.sql.query(`UPDATE "SyncRun" SET "pollCount" = "pollCount" + 1, "updatedAt" = $2 WHERE id = $1`, [run.id, nowOf(deps)]);
  await finalizeRun(deps, run.id);
  if (waiting) await schedulePoll(deps, run.shop, run.id, run.pollCount + 1);
  return waiting ? "waiting" : "done";
}

interface OpState {
  resource: string;
  status: string;
  errorCode: string | null;
  ingestState: string;
  partial: boolean;
}

/** Moves a finished run's data into the live tables and says how many orders and customers it had. */
export type RunMerge = (tx: Sql, run: { id: string; shop: string; kind: SyncKind }, outcome: { complete: boolean }) => Promise<{ orders: number; customers: number }>;

const mergeFromStaging: RunMerge = async (tx, run, { complete }) => {
  const staged = (
    await tx.query<{ orders: number; customers: number }>(
      `SELECT (SELECT count(*)::int FROM "SyncStageOrder" WHERE "runId" = $1) AS orders, (SELECT count(*)::int FROM "SyncStageCustomer" WHERE "runId" = $1) AS customers`,
      [run.id],
    )
  )[0]!;
  await mergeStaged(tx, run.id, run.shop, { replaceLines: complete && run.kind === "delta", initial: run.kind === "initial" });
  return staged;
};

export interface ClosedRun {
  shop: string;
  complete: boolean;
}

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
export async function closeRun(tx: Sql, deps: SyncDeps, runId: string, merge: RunMerge): Promise<ClosedRun | null> {
  const run = (await tx.query<RunRow & { launchAttempts: number }>(`SELECT id, shop, kind, status, "startedAt", "pollCount", "launchAttempts" FROM "SyncRun" WHERE id = $1 FOR UPDATE`, [runId]))[0];
  if (!run || run.status !== "running") return null;
  const ops = await tx.query<OpState>(`SELECT resource, status, "errorCode", "ingestState", partial FROM "SyncBulkOperation" WHERE "runId" = $1`, [runId]);
  if (!ops.length || ops.some((o) => o.ingestState !== "done" && o.ingestState !== "failed")) return null;
  // A query whose launch Shopify throttled is launched again later: the run is not finished before it.
  if (run.launchAttempts > 0 && RESOURCES.some((r) => !ops.some((o) => o.resource === r.resource))) return null;
  const now = nowOf(deps);
  const failed = ops.find((o) => o.ingestState === "failed");
  const partial = ops.find((o) => o.partial);
  const complete = !failed && !partial;
  const counts = await merge(tx, run, { complete });
  const errorCode = failed ? (failed.errorCode ?? failed.status) : partial ? (partial.errorCode ?? "PARTIAL") : null;
  await tx.query(
    `UPDATE "SyncRun" SET status = $2, partial = $3, "errorCode" = $4, "finishedAt" = $5, "updatedAt" = $5, "ordersSynced" = $6, "customersSynced" = $7 WHERE id = $1`,
    [runId, failed ? "failed" : "completed", !!partial || (!!failed && counts.orders + counts.customers > 0), errorCode, now, counts.orders, counts.customers],
  );
  if (complete) {
    await tx.query(
      `INSERT INTO "SyncState" (shop, watermark, "lastSyncedAt", "lastRunId") VALUES ($1, $2, $3, $4)
       ON CONFLICT (shop) DO UPDATE SET watermark = excluded.watermark, "lastSyncedAt" = excluded."lastSyncedAt", "lastRunId" = excluded."lastRunId"`,
      [run.shop, run.startedAt, now, runId],
    );
  }
  await clearStaged(tx, runId);
  return { shop: run.shop, complete };
}

/** After the closing transaction committed: schedule the healing delta, tell the features. */
export async function afterRunClosed(deps: SyncDeps, closed: ClosedRun) {
  // The healing delta runs periodically from the first finished sync on (one queued per shop).
  const interval = deps.deltaIntervalMs ?? 6 * 3600_000;
  await deps.queue.send(SYNC_JOBS.delta, { shop: closed.shop }, { runAt: new Date(nowOf(deps).getTime() + interval), singletonKey: closed.shop });
  if (closed.complete) await deps.onSyncCompleted?.(closed.shop);
}

/**
 * A sync job failed for good (its attempts are used up): the run it worked for fails with that
 * error, so the status page says so and the next sync can start; nothing of it was merged, and
 * its staged rows go. `runId` absent (sync.start / sync.delta): only a run of the shop that never
 * got a bulk query started is failed (one that has queries is carried by its own poll jobs).
 */
export async function failRun(deps: SyncDeps, input: { shop: string; runId?: string }, err: unknown): Promise<string | null> {
  const code = isAppError(err) ? err.code : "INTERNAL";
  const message = err instanceof Error ? err.message : String(err);
  return deps.sql.transaction(async (tx) => {
    const rows = input.runId
      ? await tx.query<{ id: string }>(`SELECT id FROM "SyncRun" WHERE id = $1 AND status = 'running' FOR UPDATE`, [input.runId])
      : await tx.query<{ id: string }>(
          `SELECT id FROM "SyncRun" r WHERE shop = $1 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM "SyncBulkOperation" o WHERE o."runId" = r.id) FOR UPDATE`,
          [input.shop],
        );
    const runId = rows[0]?.id;
    if (!runId) return null;
    const now = nowOf(deps);
    await tx.query(`UPDATE "SyncRun" SET status = 'failed', "errorCode" = $2, "errorMessage" = $3, "finishedAt" = $4, "updatedAt" = $4 WHERE id = $1`, [runId, code, message.slice(0, 2000), now]);
    await tx.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'failed' WHERE "runId" = $1 AND "ingestState" NOT IN ('done', 'failed')`, [runId]);
    await clearStaged(tx, runId);
    return runId;
  });
}

/** The scheduled delta: heals whatever webhooks missed since the watermark. */
export async function runDeltaSync(deps: SyncDeps, input: { shop: string }): Promise<StartResult> {
  return startSync(deps, { shop: input.shop, kind: "delta" });
}


/**
 * After each authentication: the first sync starts without the merchant doing anything; a run
 * left running by a crashed process is re-driven. A failed run waits for the merchant's retry.
 */
export async function ensureInitialSync(deps: SyncDeps, shop: string): Promise<"enqueued" | "redriven" | "nothing"> {
  const runs = await deps.sql.query<{ id: string; status: string }>(`SELECT id, status FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [shop]);
  const last = runs[0];
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
export async function requestSync(deps: SyncDeps, shop: string): Promise<{ queued: boolean }> {
  const id = await deps.queue.send(SYNC_JOBS.start, { shop, kind: "initial" }, { singletonKey: shop });
  return { queued: id !== null };
}
