import { randomUUID } from "node:crypto";
import type { Sql } from "../../db/sql";
import type { BulkOperation } from "../../shopify/bulk/operations";

/**
 * The sync's bookkeeping tables: `SyncRun` (one sync of a shop), `SyncBulkOperation` (one bulk
 * query of a run, with its ingestion checkpoint) and `SyncState` (the shop's delta watermark).
 * Only the sync reads or writes them (docs/decisions/075-sync-chain.md); every step of the chain
 * goes through these functions.
 */

export type SyncKind = "initial" | "delta";

export interface RunRow {
  id: string;
  shop: string;
  kind: SyncKind;
  status: string;
  startedAt: Date;
  pollCount: number;
  since?: Date | null;
}

/**
 * Claims the shop's sync: returns the running run if there is one, else starts a run (`delta`
 * falls back to a full sync when the shop has never completed one). Serialised per shop.
 */
export async function claimRun(
  sql: Sql,
  input: { shop: string; kind?: SyncKind; now: Date; overlapMs: number },
): Promise<{ runId: string; started: boolean; kind: SyncKind; since: Date | null }> {
  const { shop, now } = input;
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`winback-sync:${shop}`]);
    const running = await tx.query<{ id: string; kind: SyncKind }>(
      `SELECT id, kind FROM "SyncRun" WHERE shop = $1 AND status = 'running' LIMIT 1`,
      [shop],
    );
    if (running[0]) return { runId: running[0].id, started: false, kind: running[0].kind, since: null };
    const st = await tx.query<{ watermark: Date | null }>(`SELECT watermark FROM "SyncState" WHERE shop = $1`, [shop]);
    const watermark = st[0]?.watermark ?? null;
    const kind: SyncKind = input.kind === "delta" && watermark ? "delta" : "initial";
    const since = kind === "delta" ? new Date(new Date(watermark!).getTime() - input.overlapMs) : null;
    const runId = randomUUID();
    await tx.query(
      `INSERT INTO "SyncRun" (id, shop, kind, status, since, "startedAt", "updatedAt") VALUES ($1, $2, $3, 'running', $4, $5, $5)`,
      [runId, shop, kind, since, now],
    );
    return { runId, started: true, kind, since };
  });
}

export async function loadRun(sql: Sql, runId: string): Promise<RunRow | undefined> {
  return (
    await sql.query<RunRow>(`SELECT id, shop, kind, status, "startedAt", "pollCount", since FROM "SyncRun" WHERE id = $1`, [runId])
  )[0];
}

/** The shop's most recent run (any status). */
export async function latestRunOf(sql: Sql, shop: string): Promise<{ id: string; status: string } | undefined> {
  return (
    await sql.query<{ id: string; status: string }>(`SELECT id, status FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [
      shop,
    ])
  )[0];
}

export async function launchAttemptsOf(sql: Sql, runId: string): Promise<number> {
  return (
    (await sql.query<{ launchAttempts: number }>(`SELECT "launchAttempts" FROM "SyncRun" WHERE id = $1`, [runId]))[0]?.launchAttempts ?? 0
  );
}

/** A launch Shopify throttled (or the network cut): the run keeps running with the reason shown. */
export async function recordLaunchRetry(sql: Sql, runId: string, code: string, message: string, now: Date) {
  await sql.query(
    `UPDATE "SyncRun" SET "launchAttempts" = "launchAttempts" + 1, "errorCode" = $2, "errorMessage" = $3, "updatedAt" = $4 WHERE id = $1`,
    [runId, code, message, now],
  );
}

/** Launched after retries: the throttling note is history now. */
export async function clearLaunchNote(sql: Sql, runId: string) {
  await sql.query(
    `UPDATE "SyncRun" SET "errorCode" = NULL, "errorMessage" = NULL WHERE id = $1 AND "errorCode" IN ('THROTTLED', 'NETWORK')`,
    [runId],
  );
}

export async function countPoll(sql: Sql, runId: string, now: Date) {
  await sql.query(`UPDATE "SyncRun" SET "pollCount" = "pollCount" + 1, "updatedAt" = $2 WHERE id = $1`, [runId, now]);
}

export async function markIngestStarted(sql: Sql, runId: string, now: Date) {
  await sql.query(`UPDATE "SyncRun" SET "ingestStartedAt" = coalesce("ingestStartedAt", $2), "updatedAt" = $2 WHERE id = $1`, [runId, now]);
}

/* ---- SyncBulkOperation ---- */

export async function recordLaunchedOperation(sql: Sql, op: { id: string; runId: string; shop: string; resource: string; now: Date }) {
  await sql.query(
    `INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource, "createdAt") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
    [op.id, op.runId, op.shop, op.resource, op.now],
  );
}

/** A bulk query Shopify refused to start is recorded as a failed operation of the run. */
export async function recordFailedLaunch(
  sql: Sql,
  input: { runId: string; shop: string; resource: string; code: string; message: string; now: Date },
) {
  await sql.query(
    `INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource, status, "errorCode", "ingestState", "malformedSamples", "createdAt")
     VALUES ($1, $2, $3, $4, 'FAILED', $5, 'failed', $6, $7) ON CONFLICT (id) DO NOTHING`,
    [`not-started:${input.runId}:${input.resource}`, input.runId, input.shop, input.resource, input.code, JSON.stringify([]), input.now],
  );
  await sql.query(`UPDATE "SyncRun" SET "errorMessage" = coalesce("errorMessage", $2) WHERE id = $1`, [input.runId, input.message]);
}

export async function operationsOfRun(sql: Sql, runId: string): Promise<Array<{ id: string; ingestState: string; resource: string }>> {
  return sql.query(`SELECT id, "ingestState", resource FROM "SyncBulkOperation" WHERE "runId" = $1`, [runId]);
}

/** The run a bulk operation belongs to, if it is one of the shop's syncs (null: someone else's). */
export async function runOfOperation(sql: Sql, bulkId: string, shop: string): Promise<string | null> {
  return (
    (await sql.query<{ runId: string }>(`SELECT "runId" FROM "SyncBulkOperation" WHERE id = $1 AND shop = $2`, [bulkId, shop]))[0]?.runId ??
    null
  );
}

/** Stores what Shopify last said about one of a run's bulk operations. */
export async function recordRemoteStatus(sql: Sql, bulkId: string, op: BulkOperation) {
  await sql.query(`UPDATE "SyncBulkOperation" SET status = $2, "errorCode" = $3, "objectCount" = $4, "completedAt" = $5 WHERE id = $1`, [
    bulkId,
    op.status,
    op.errorCode ?? null,
    op.objectCount,
    op.completedAt ? new Date(op.completedAt) : null,
  ]);
}

export interface MalformedLine {
  line: number;
  error: string;
}

export interface OpRow {
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

export async function loadOperation(sql: Sql, bulkId: string): Promise<OpRow | undefined> {
  const rows = await sql.query<OpRow>(
    `SELECT id, "runId", shop, resource, status, "ingestState", "linesRead", "malformedCount", "malformedSamples" FROM "SyncBulkOperation" WHERE id = $1`,
    [bulkId],
  );
  return rows[0];
}

export async function setIngestState(sql: Sql, bulkId: string, state: "ingesting" | "done" | "failed", partial?: boolean) {
  if (partial === undefined) await sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = $2 WHERE id = $1`, [bulkId, state]);
  else await sql.query(`UPDATE "SyncBulkOperation" SET "ingestState" = $2, partial = $3 WHERE id = $1`, [bulkId, state, partial]);
}

/** The lines a committed batch covers, with the malformed-line count and samples so far (the resume point). */
export async function saveCheckpoint(tx: Sql, bulkId: string, c: { linesRead: number; malformedCount: number; samples: string }) {
  await tx.query(`UPDATE "SyncBulkOperation" SET "linesRead" = $2, "malformedCount" = $3, "malformedSamples" = $4 WHERE id = $1`, [
    bulkId,
    c.linesRead,
    c.malformedCount,
    c.samples,
  ]);
}

/** The direct load's last step: the operation is done, with its final checkpoint (same transaction). */
export async function completeOperation(tx: Sql, bulkId: string, c: { linesRead: number; malformedCount: number; samples: string }) {
  await tx.query(
    `UPDATE "SyncBulkOperation" SET "ingestState" = 'done', "linesRead" = $2, "malformedCount" = $3, "malformedSamples" = $4 WHERE id = $1`,
    [bulkId, c.linesRead, c.malformedCount, c.samples],
  );
}

/** Progress of a direct load (nothing is committed before its end). */
export async function setLinesApplied(sql: Sql, bulkId: string, lines: number) {
  await sql.query(`UPDATE "SyncBulkOperation" SET "linesApplied" = $2 WHERE id = $1`, [bulkId, lines]);
}

/** The run's other operations still unfinished, and the run's kind (the direct load's precondition). */
export async function pendingBesides(sql: Sql, runId: string, bulkId: string): Promise<{ pending: number; kind: string } | undefined> {
  return (
    await sql.query<{ pending: number; kind: string }>(
      `SELECT (SELECT count(*)::int FROM "SyncBulkOperation" WHERE "runId" = $1 AND id <> $2 AND "ingestState" NOT IN ('done', 'failed')) AS pending,
              (SELECT kind FROM "SyncRun" WHERE id = $1) AS kind`,
      [runId, bulkId],
    )
  )[0];
}

/* ---- Closing and failing a run ---- */

export interface OpState {
  resource: string;
  status: string;
  errorCode: string | null;
  ingestState: string;
  partial: boolean;
}

/** The run, locked for closing (FOR UPDATE), with its operations' states. */
export async function lockRunForClose(
  tx: Sql,
  runId: string,
): Promise<{ run: (RunRow & { launchAttempts: number }) | undefined; ops: OpState[] }> {
  const run = (
    await tx.query<RunRow & { launchAttempts: number }>(
      `SELECT id, shop, kind, status, "startedAt", "pollCount", "launchAttempts" FROM "SyncRun" WHERE id = $1 FOR UPDATE`,
      [runId],
    )
  )[0];
  if (!run || run.status !== "running") return { run, ops: [] };
  const ops = await tx.query<OpState>(
    `SELECT resource, status, "errorCode", "ingestState", partial FROM "SyncBulkOperation" WHERE "runId" = $1`,
    [runId],
  );
  return { run, ops };
}

export async function recordRunOutcome(
  tx: Sql,
  runId: string,
  o: { status: "failed" | "completed"; partial: boolean; errorCode: string | null; now: Date; orders: number; customers: number },
) {
  await tx.query(
    `UPDATE "SyncRun" SET status = $2, partial = $3, "errorCode" = $4, "finishedAt" = $5, "updatedAt" = $5, "ordersSynced" = $6, "customersSynced" = $7 WHERE id = $1`,
    [runId, o.status, o.partial, o.errorCode, o.now, o.orders, o.customers],
  );
}

/** A complete run moves the shop's delta watermark to its start. */
export async function advanceWatermark(tx: Sql, shop: string, run: { id: string; startedAt: Date }, now: Date) {
  await tx.query(
    `INSERT INTO "SyncState" (shop, watermark, "lastSyncedAt", "lastRunId") VALUES ($1, $2, $3, $4)
     ON CONFLICT (shop) DO UPDATE SET watermark = excluded.watermark, "lastSyncedAt" = excluded."lastSyncedAt", "lastRunId" = excluded."lastRunId"`,
    [shop, run.startedAt, now, run.id],
  );
}

/**
 * Locks the run a failed job worked for: `runId`, or (absent) the shop's running run that never got
 * a bulk query started. Null when there is none.
 */
export async function lockRunToFail(tx: Sql, input: { shop: string; runId?: string }): Promise<string | null> {
  const rows = input.runId
    ? await tx.query<{ id: string }>(`SELECT id FROM "SyncRun" WHERE id = $1 AND status = 'running' FOR UPDATE`, [input.runId])
    : await tx.query<{ id: string }>(
        `SELECT id FROM "SyncRun" r WHERE shop = $1 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM "SyncBulkOperation" o WHERE o."runId" = r.id) FOR UPDATE`,
        [input.shop],
      );
  return rows[0]?.id ?? null;
}

export async function markRunFailed(tx: Sql, runId: string, code: string, message: string, now: Date) {
  await tx.query(
    `UPDATE "SyncRun" SET status = 'failed', "errorCode" = $2, "errorMessage" = $3, "finishedAt" = $4, "updatedAt" = $4 WHERE id = $1`,
    [runId, code, message.slice(0, 2000), now],
  );
  await tx.query(`UPDATE "SyncBulkOperation" SET "ingestState" = 'failed' WHERE "runId" = $1 AND "ingestState" NOT IN ('done', 'failed')`, [
    runId,
  ]);
}

/* ---- What the status page reads ---- */

export interface RunStatusRow {
  id: string;
  kind: string;
  status: string;
  partial: boolean;
  errorCode: string | null;
  startedAt: Date;
  ingestStartedAt: Date | null;
  finishedAt: Date | null;
  ordersSynced: number;
  customersSynced: number;
}

export async function latestRunStatus(sql: Sql, shop: string): Promise<RunStatusRow | undefined> {
  return (
    await sql.query<RunStatusRow>(
      `SELECT id, kind, status, partial, "errorCode", "startedAt", "ingestStartedAt", "finishedAt", "ordersSynced", "customersSynced" FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`,
      [shop],
    )
  )[0];
}

export async function lastSyncedAt(sql: Sql, shop: string): Promise<Date | null> {
  return (
    (await sql.query<{ lastSyncedAt: Date | null }>(`SELECT "lastSyncedAt" FROM "SyncState" WHERE shop = $1`, [shop]))[0]?.lastSyncedAt ??
    null
  );
}

export interface OperationProgress {
  resource: string;
  status: string;
  errorCode: string | null;
  objectCount: number;
  linesRead: number;
  malformedCount: number;
  malformedSamples: Array<{ line: number; error: string }>;
  ingestState: string;
}

export async function operationProgress(sql: Sql, runId: string): Promise<OperationProgress[]> {
  return sql.query<OperationProgress>(
    // A direct load (ADR 051) commits nothing until the end; its progress is "linesApplied".
    `SELECT resource, status, "errorCode", "objectCount", greatest("linesRead", "linesApplied") AS "linesRead", "malformedCount", "malformedSamples", "ingestState" FROM "SyncBulkOperation" WHERE "runId" = $1 ORDER BY resource`,
    [runId],
  );
}

/** The last completed full sync, with the oldest order found after it (computed once, then kept). */
export async function latestCompletedInitialRun(
  sql: Sql,
  shop: string,
): Promise<{ id: string; startedAt: Date; oldestOrderAt: Date | null; historyCheckedAt: Date | null } | undefined> {
  return (
    await sql.query<{ id: string; startedAt: Date; oldestOrderAt: Date | null; historyCheckedAt: Date | null }>(
      `SELECT id, "startedAt", "oldestOrderAt", "historyCheckedAt" FROM "SyncRun" WHERE shop = $1 AND kind = 'initial' AND status = 'completed' ORDER BY "startedAt" DESC LIMIT 1`,
      [shop],
    )
  )[0];
}

/** Computes (one scan of the shop's orders) and keeps the oldest order date on the run. */
export async function checkHistoryDepth(sql: Sql, shop: string, runId: string): Promise<Date | null> {
  const r = (
    await sql.query<{ oldest: Date | null }>(`SELECT least(min("createdAt"), min("processedAt")) AS oldest FROM "Order" WHERE shop = $1`, [
      shop,
    ])
  )[0];
  const oldest = r?.oldest ?? null;
  await sql.query(`UPDATE "SyncRun" SET "oldestOrderAt" = $2, "historyCheckedAt" = now() WHERE id = $1`, [runId, oldest]);
  return oldest;
}
