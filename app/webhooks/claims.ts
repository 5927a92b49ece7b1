import type { Sql } from "../db/sql";

/**
 * Claim-first de-duplication of webhook deliveries (docs/decisions/005-webhook-boundary.md).
 *
 * A delivery inserts its claim before its handler runs. The insert is the only decision point:
 * `ON CONFLICT DO NOTHING` loses against both unique keys — the delivery id (X-Shopify-Webhook-Id,
 * the same on Shopify's retries of one delivery) and the event id (X-Shopify-Event-Id, the same on
 * duplicate deliveries of one event, shopify.dev "Ignore duplicate webhooks") per shop and topic —
 * so of any number of concurrent duplicates exactly one runs. Checking first and recording after
 * the handler (the old way) let ten concurrent duplicates all run.
 */
export interface DeliveryKey {
  webhookId: string;
  shop: string;
  topic: string;
  eventId?: string | null;
}

/** A claim the caller owns: `rowId` is the claim row's delivery id (another delivery's after a takeover). */
export interface Claim {
  rowId: string;
}

export type ClaimResult =
  | { kind: "claimed"; claim: Claim }
  /** Another delivery of the same event finished its handler: nothing to do. */
  | { kind: "done" }
  /** Another delivery of the same event is running its handler right now. */
  | { kind: "in_flight" };

export interface ClaimOptions {
  now: () => Date;
  /**
   * How long an unfinished claim stays its owner's. Shopify gives a delivery 5 seconds before it
   * counts as failed; a claim still open after this long belongs to a process that died (kill -9,
   * crash) before it could complete or release it, and the next delivery takes it over.
   */
  leaseMs: number;
}

export const DEFAULT_CLAIM_LEASE_MS = 10 * 60_000;

// Timestamps are written and compared as UTC in SQL (the columns are Prisma's TIMESTAMP(3), read as UTC).
const utc = (p: string) => `(${p}::timestamptz AT TIME ZONE 'UTC')`;

export async function claimDelivery(sql: Sql, key: DeliveryKey, opts: ClaimOptions): Promise<ClaimResult> {
  // A conflicting claim can be released between our insert and our read: then try again.
  for (let round = 0; round < 3; round++) {
    const now = opts.now();
    const inserted = await sql.query<{ webhookId: string }>(
      `INSERT INTO "WebhookEvent" ("webhookId", shop, topic, "eventId", "receivedAt") VALUES ($1, $2, $3, $4, ${utc("$5")})
       ON CONFLICT DO NOTHING RETURNING "webhookId"`,
      [key.webhookId, key.shop, key.topic, key.eventId ?? null, now.toISOString()],
    );
    if (inserted.length) return { kind: "claimed", claim: { rowId: key.webhookId } };
    const cutoff = new Date(now.getTime() - opts.leaseMs).toISOString();
    const existing = (
      await sql.query<{ webhookId: string; completed: boolean; stale: boolean }>(
        `SELECT "webhookId", "completedAt" IS NOT NULL AS completed, "receivedAt" < ${utc("$5")} AS stale FROM "WebhookEvent"
         WHERE "webhookId" = $1 OR ($4::text IS NOT NULL AND shop = $2 AND topic = $3 AND "eventId" = $4)
         ORDER BY ("webhookId" = $1) DESC LIMIT 1`,
        [key.webhookId, key.shop, key.topic, key.eventId ?? null, cutoff],
      )
    )[0];
    if (!existing) continue;
    if (existing.completed) return { kind: "done" };
    if (!existing.stale) return { kind: "in_flight" };
    // A dead owner's claim: take it over. Under concurrent takers the row lock lets one UPDATE
    // through; the others re-check the condition against its new timestamp and match nothing.
    const taken = await sql.query(
      `UPDATE "WebhookEvent" SET "receivedAt" = ${utc("$2")} WHERE "webhookId" = $1 AND "completedAt" IS NULL AND "receivedAt" < ${utc("$3")} RETURNING "webhookId"`,
      [existing.webhookId, now.toISOString(), cutoff],
    );
    if (taken.length) return { kind: "claimed", claim: { rowId: existing.webhookId } };
  }
  return { kind: "in_flight" };
}

/** The handler succeeded: every later duplicate answers 200 without running. */
export async function completeClaim(sql: Sql, claim: Claim, now: Date): Promise<void> {
  await sql.query(`UPDATE "WebhookEvent" SET "completedAt" = ${utc("$2")} WHERE "webhookId" = $1`, [claim.rowId, now.toISOString()]);
}

/**
 * Group commit for completions (docs/decisions/108-webhook-storm.md): under a storm every delivery's
 * completion was its own commit, each waiting for its WAL flush. Completions that arrive while one
 * UPDATE is running are written together by the next; an idle app writes at once. A delivery is
 * still answered only after its own completion committed.
 */
export function createClaimCompleter() {
  const pending = new Map<Sql, Array<{ rowId: string; at: Date; resolve: () => void; reject: (e: unknown) => void }>>();
  const running = new Set<Sql>();
  async function drain(sql: Sql) {
    running.add(sql);
    try {
      for (let batch = pending.get(sql); batch?.length; batch = pending.get(sql)) {
        pending.set(sql, []);
        try {
          // Each claim keeps its own completion time (the latest of a claim's duplicates' never arrives: one owner).
          await sql.query(
            `UPDATE "WebhookEvent" e SET "completedAt" = (u.at::timestamptz AT TIME ZONE 'UTC')
             FROM unnest($1::text[], $2::text[]) AS u(id, at) WHERE e."webhookId" = u.id`,
            [batch.map((c) => c.rowId), batch.map((c) => c.at.toISOString())],
          );
          batch.forEach((c) => c.resolve());
        } catch (e) {
          batch.forEach((c) => c.reject(e));
        }
      }
    } finally {
      running.delete(sql);
    }
  }
  return (sql: Sql, claim: Claim, now: Date) =>
    new Promise<void>((resolve, reject) => {
      const list = pending.get(sql) ?? [];
      list.push({ rowId: claim.rowId, at: now, resolve, reject });
      pending.set(sql, list);
      if (!running.has(sql)) void drain(sql);
    });
}

/** The handler failed: drop the claim so Shopify's retry of this delivery runs it again. */
export async function releaseClaim(sql: Sql, claim: Claim): Promise<void> {
  await sql.query(`DELETE FROM "WebhookEvent" WHERE "webhookId" = $1 AND "completedAt" IS NULL`, [claim.rowId]);
}

/**
 * How long a finished claim is kept. Past Shopify's retry window (4 hours; the dispatcher refuses
 * deliveries triggered more than 5 hours ago) a claim can no longer stop a duplicate, so it is only
 * a delivery log; a week of it answers "did that webhook arrive?" without growing forever (a busy
 * shop sends millions of order webhooks a month).
 */
export const CLAIM_RETENTION_MS = 7 * 86_400_000;

/** Deletes up to `limit` finished claims received before `before`; returns how many went. */
export async function pruneClaims(sql: Sql, before: Date, limit = 5_000): Promise<number> {
  const gone = await sql.query<{ webhookId: string }>(
    `DELETE FROM "WebhookEvent" WHERE "webhookId" IN (
       SELECT "webhookId" FROM "WebhookEvent" WHERE "receivedAt" < ${utc("$1")} AND "completedAt" IS NOT NULL ORDER BY "receivedAt" LIMIT $2)
     RETURNING "webhookId"`,
    [before.toISOString(), limit],
  );
  return gone.length;
}
