import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import { SIGNAL_KINDS, type SignalEvents } from "../domain/analytics/index";

/**
 * The messaging feature's tables: the only file that reads or writes `MessageLog`,
 * `EmailSuppression`, `EmailFeedback`, `EmailEngagement` and `FlowTriggerLog` (docs/decisions/076-table-ownership.md).
 * Other features use the exported functions (skip counts, campaign counts, compliance). Every
 * function takes the `Sql` it runs on, so the messenger's locked transaction can pass its own.
 * The sync's `Customer` table is read and written only through app/sync/store/customers.ts.
 */

// ─── MessageLog ──────────────────────────────────────────────────────────────

export interface MessageLogRow {
  id: string;
  status: string;
  reason: string | null;
  updatedAt: Date;
}

/** Serialises every sending decision for one customer (two campaigns at once cannot both pass a cap). */
export async function lockCustomerMail(tx: Sql, shop: string, customerId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`winback-mail:${shop}:${customerId}`]);
}

/** A claim older than the lease: it may have gone out, so it is closed as interrupted and never sent again. */
export async function markMessageInterrupted(tx: Sql, id: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE "MessageLog" SET status = 'failed', reason = 'interrupted', "updatedAt" = $2,
       error = 'stopped between claiming and confirming the send; not retried (at-most-once)' WHERE id = $1`,
    [id, at],
  );
}

/** Messages that count as reaching the customer: sent, in flight, or interrupted after the claim. */
const COUNTS_AS_SENT_M = `(m.status IN ('sent', 'sending') OR (m.status = 'failed' AND m.reason = 'interrupted'))`;

export interface MailGates {
  /** The row already under this dedupe key, if any. */
  existing: MessageLogRow | null;
  /** Suppressed by customer (any source but a bounce) or by address (any source, bounces included). */
  suppressed: boolean;
  /** Another win-back message (not this key) reached the customer since `winbackSince` (frequency cap); false when that is null. */
  recentWinback: boolean;
  /** Marketing emails of every kind (not this key) that reached the customer since `contactSince` (contact cap). */
  recentMarketing: number;
}

/**
 * Everything the messenger's locked decision reads from messaging's tables, in one statement (one
 * round trip instead of four: docs/decisions/085-email-throughput.md). Run it inside the transaction
 * holding lockCustomerMail, after the lock was granted, so it sees every claim committed before.
 * `MessageLog_shop_customerId_kind_sentAt_idx`, the dedupe key's unique index, the suppression's
 * primary key and `EmailSuppression_shop_lower_email_idx` serve its parts.
 */
export async function mailGates(
  tx: Sql,
  g: { shop: string; customerId: string; dedupeKey: string; email: string | null; winbackSince: Date | null; contactSince: Date },
): Promise<MailGates> {
  const rows = await tx.query<{
    id: string | null;
    status: string | null;
    reason: string | null;
    updatedAt: Date | null;
    suppressed: boolean;
    recentWinback: boolean | null;
    recentMarketing: number;
  }>(
    `SELECT e.id, e.status, e.reason, e."updatedAt",
       EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = $1 AND s."customerId" = $2 AND s.source <> 'bounce')
         OR ($4::text IS NOT NULL AND EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = $1 AND lower(s.email) = lower($4::text))) AS suppressed,
       r."recentWinback", r."recentMarketing"
     FROM (SELECT
             coalesce(bool_or(m.kind LIKE 'winback\\_%' AND coalesce(m."sentAt", m."updatedAt") > $5::timestamp(3)), false) AS "recentWinback",
             count(*) FILTER (WHERE coalesce(m."sentAt", m."updatedAt") > $6::timestamp(3))::int AS "recentMarketing"
           FROM "MessageLog" m
           WHERE m.shop = $1 AND m."customerId" = $2::bigint AND m."dedupeKey" <> $3 AND ${COUNTS_AS_SENT_M}
             AND coalesce(m."sentAt", m."updatedAt") > least($5::timestamp(3), $6::timestamp(3))) r
     LEFT JOIN "MessageLog" e ON e.shop = $1 AND e."dedupeKey" = $3`,
    [g.shop, g.customerId, g.dedupeKey, g.email, g.winbackSince ?? g.contactSince, g.contactSince],
  );
  const r = rows[0]!;
  return {
    existing: r.id ? { id: r.id, status: r.status!, reason: r.reason, updatedAt: r.updatedAt! } : null,
    suppressed: r.suppressed,
    recentWinback: g.winbackSince ? !!r.recentWinback : false,
    recentMarketing: r.recentMarketing,
  };
}

export interface MessageDecisionRow {
  shop: string;
  customerId: string;
  kind: string;
  dedupeKey: string;
  campaignId: string | null;
  /** null: claimed for sending; otherwise the skip reason. */
  reason: string | null;
  messageId: string | null;
  toAddress: string | null;
  subject: string;
  at: Date;
}

/** Records a decision under the dedupe key (a skipped or failed key is decided again); returns the row id. */
export async function recordMessageDecision(tx: Sql, d: MessageDecisionRow): Promise<string> {
  const rows = await tx.query<{ id: string }>(
    `INSERT INTO "MessageLog" AS m (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, reason, "messageId", "toAddress", subject, attempts, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
     ON CONFLICT (shop, "dedupeKey") DO UPDATE SET kind = excluded.kind, "campaignId" = excluded."campaignId", status = excluded.status,
       reason = excluded.reason, "messageId" = excluded."messageId", "toAddress" = excluded."toAddress", subject = excluded.subject,
       attempts = m.attempts + excluded.attempts, "updatedAt" = excluded."updatedAt", error = NULL
     RETURNING id`,
    [
      randomUUID(),
      d.shop,
      d.customerId,
      d.kind,
      d.dedupeKey,
      d.campaignId,
      d.reason ? "skipped" : "sending",
      d.reason,
      d.messageId,
      d.toAddress,
      d.subject,
      d.reason ? 0 : 1,
      d.at,
    ],
  );
  return rows[0]!.id;
}

export async function markMessageFailed(sql: Sql, id: string, error: string, at: Date): Promise<void> {
  await sql.query(
    `UPDATE "MessageLog" SET status = 'failed', reason = 'smtp_error', error = $2, "updatedAt" = $3 WHERE id = $1 AND status = 'sending'`,
    [id, error.slice(0, 1000), at],
  );
}

// ─── Batched sends (docs/decisions/095-batched-sends.md) ─────────────────────

/**
 * lockCustomerMail for many customers in one statement. The locks are taken in the order of their
 * lock ids, so two batches sharing customers wait for each other instead of deadlocking; a
 * single-customer send holds one lock and cannot close a cycle.
 */
export async function lockCustomersMail(tx: Sql, shop: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  await tx.query(
    `SELECT count(pg_advisory_xact_lock(h))::int AS n
       FROM (SELECT DISTINCT hashtextextended('winback-mail:' || $1 || ':' || c, 0) AS h FROM unnest($2::text[]) AS c ORDER BY 1) l`,
    [shop, customerIds],
  );
}

/**
 * mailGates for many messages in one statement (one per message, in the order given). Same parts,
 * same indexes; each message's caps exclude its own dedupe key. Run inside the transaction holding
 * lockCustomersMail for every customer, after the lock was granted. Each customer appears once.
 */
export async function mailGatesMany(
  tx: Sql,
  g: {
    shop: string;
    items: Array<{ customerId: string; dedupeKey: string; email: string | null }>;
    winbackSince: Date | null;
    contactSince: Date;
  },
): Promise<MailGates[]> {
  if (!g.items.length) return [];
  const since = g.winbackSince ?? g.contactSince;
  const rows = await tx.query<{
    i: number;
    id: string | null;
    status: string | null;
    reason: string | null;
    updatedAt: Date | null;
    suppressed: boolean;
    recentWinback: boolean | null;
    recentMarketing: number;
  }>(
    `SELECT u.i::int AS i, e.id, e.status, e.reason, e."updatedAt",
       EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = $1 AND s."customerId" = u.cid AND s.source <> 'bounce')
         OR (u.email IS NOT NULL AND EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = $1 AND lower(s.email) = lower(u.email))) AS suppressed,
       r."recentWinback", r."recentMarketing"
     FROM unnest($2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS u(cid, key, email, i)
     CROSS JOIN LATERAL (SELECT
             coalesce(bool_or(m.kind LIKE 'winback\\_%' AND coalesce(m."sentAt", m."updatedAt") > $5::timestamp(3)), false) AS "recentWinback",
             count(*) FILTER (WHERE coalesce(m."sentAt", m."updatedAt") > $6::timestamp(3))::int AS "recentMarketing"
           FROM "MessageLog" m
           WHERE m.shop = $1 AND m."customerId" = u.cid AND m."dedupeKey" <> u.key AND ${COUNTS_AS_SENT_M}
             AND coalesce(m."sentAt", m."updatedAt") > least($5::timestamp(3), $6::timestamp(3))) r
     LEFT JOIN "MessageLog" e ON e.shop = $1 AND e."dedupeKey" = u.key`,
    [g.shop, g.items.map((x) => x.customerId), g.items.map((x) => x.dedupeKey), g.items.map((x) => x.email), since, g.contactSince],
  );
  const out: MailGates[] = new Array(g.items.length);
  for (const r of rows) {
    out[r.i - 1] = {
      existing: r.id ? { id: r.id, status: r.status!, reason: r.reason, updatedAt: r.updatedAt! } : null,
      suppressed: r.suppressed,
      recentWinback: g.winbackSince ? !!r.recentWinback : false,
      recentMarketing: r.recentMarketing,
    };
  }
  return out;
}

/**
 * recordMessageDecision for many messages in one multi-row upsert; returns the row ids in the
 * order given. Dedupe keys must be distinct (one statement cannot upsert a row twice).
 */
export async function recordMessageDecisions(tx: Sql, ds: MessageDecisionRow[]): Promise<string[]> {
  if (!ds.length) return [];
  const rows = await tx.query<{ id: string; dedupeKey: string }>(
    `INSERT INTO "MessageLog" AS m (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, reason, "messageId", "toAddress", subject, attempts, "createdAt", "updatedAt")
     SELECT u.id, u.shop, u.cid, u.kind, u.key, u.campaign, u.status, u.reason, u.mid, u.addr, u.subject, u.attempts, u.at, u.at
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::timestamp(3)[])
         AS u(id, shop, cid, kind, key, campaign, status, reason, mid, addr, subject, attempts, at)
     ON CONFLICT (shop, "dedupeKey") DO UPDATE SET kind = excluded.kind, "campaignId" = excluded."campaignId", status = excluded.status,
       reason = excluded.reason, "messageId" = excluded."messageId", "toAddress" = excluded."toAddress", subject = excluded.subject,
       attempts = m.attempts + excluded.attempts, "updatedAt" = excluded."updatedAt", error = NULL
     RETURNING id, "dedupeKey"`,
    [
      ds.map(() => randomUUID()),
      ds.map((d) => d.shop),
      ds.map((d) => d.customerId),
      ds.map((d) => d.kind),
      ds.map((d) => d.dedupeKey),
      ds.map((d) => d.campaignId),
      ds.map((d) => (d.reason ? "skipped" : "sending")),
      ds.map((d) => d.reason),
      ds.map((d) => d.messageId),
      ds.map((d) => d.toAddress),
      ds.map((d) => d.subject),
      ds.map((d) => (d.reason ? 0 : 1)),
      ds.map((d) => d.at.toISOString()),
    ],
  );
  const byKey = new Map(rows.map((r) => [`${r.dedupeKey}`, r.id]));
  return ds.map((d) => byKey.get(d.dedupeKey)!);
}

/** markMessageSent for the messages of a batch that SMTP accepted, in one statement. */
export async function markMessagesSent(sql: Sql, ids: string[], at: Date): Promise<void> {
  if (!ids.length) return;
  await sql.query(
    `UPDATE "MessageLog" SET status = 'sent', reason = NULL, "sentAt" = $2, "updatedAt" = $2, error = NULL WHERE id = ANY($1::text[])`,
    [ids, at],
  );
}

export async function markMessageSent(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query(`UPDATE "MessageLog" SET status = 'sent', reason = NULL, "sentAt" = $2, "updatedAt" = $2, error = NULL WHERE id = $1`, [
    id,
    at,
  ]);
}

export async function messageByMessageId(
  sql: Sql,
  messageId: string,
): Promise<{ id: string; shop: string; customerId: string; campaignId: string | null } | null> {
  const r = await sql.query<{ id: string; shop: string; customerId: string; campaignId: string | null }>(
    `SELECT id, shop, "customerId"::text AS "customerId", "campaignId" FROM "MessageLog" WHERE "messageId" = $1`,
    [messageId],
  );
  return r[0] ?? null;
}

export interface SkipCountFilter {
  /** Only decisions made at or after this instant. */
  since?: Date;
  campaignId?: string;
  kinds?: string[];
}

/**
 * How many messages are currently skipped, per reason (`no_mail_server`, `not_subscribed`,
 * `contact_cap`, ...), for the pages that show email counts: a skip for a missing mail server is
 * never reported as missing consent.
 */
export async function skipCountsByReason(sql: Sql, shop: string, filter: SkipCountFilter = {}): Promise<Record<string, number>> {
  const rows = await sql.query<{ reason: string; n: number }>(
    `SELECT coalesce(reason, 'unknown') AS reason, count(*)::int AS n FROM "MessageLog"
     WHERE shop = $1 AND status = 'skipped' AND ($2::timestamp(3) IS NULL OR "updatedAt" >= $2::timestamp(3))
       AND ($3::text IS NULL OR "campaignId" = $3) AND ($4::text[] IS NULL OR kind = ANY($4::text[]))
     GROUP BY 1`,
    [shop, filter.since ?? null, filter.campaignId ?? null, filter.kinds ?? null],
  );
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

// ─── EmailSuppression ────────────────────────────────────────────────────────

export type SuppressionSource = "one_click" | "link" | "complaint" | "bounce" | "shopify";

/** Sources that withdraw consent (and are told to Shopify); a hard bounce only stops sending to that address. */
export const CONSENT_SOURCES: SuppressionSource[] = ["one_click", "link", "complaint"];

/** Whether any suppression row exists for the customer (the unsubscribe page says "already unsubscribed"). */
export async function hasSuppression(sql: Sql, shop: string, customerId: string): Promise<boolean> {
  const rows = await sql.query(`SELECT 1 FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [shop, customerId]);
  return rows.length > 0;
}

export interface SuppressionRecord {
  shop: string;
  customerId: string;
  email: string | null;
  source: SuppressionSource;
  campaignId: string | null;
  messageLogId: string | null;
  at: Date;
}

/**
 * Inserts a suppression once; a withdrawal of consent replaces an earlier bounce-only record,
 * otherwise the first record (and its attribution) stays. True when a row was written.
 */
export async function insertSuppression(tx: Sql, s: SuppressionRecord): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO "EmailSuppression" (shop, "customerId", email, source, "campaignId", "messageLogId", at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (shop, "customerId") DO UPDATE SET source = excluded.source, "campaignId" = excluded."campaignId",
       "messageLogId" = excluded."messageLogId", at = excluded.at, email = coalesce(excluded.email, "EmailSuppression".email)
     WHERE "EmailSuppression".source = 'bounce' AND excluded.source <> 'bounce'
     RETURNING shop`,
    [s.shop, s.customerId, s.email, s.source, s.campaignId, s.messageLogId, s.at],
  );
  return inserted.length > 0;
}

export async function suppressionOf(
  sql: Sql,
  shop: string,
  customerId: string,
): Promise<{ at: Date; synced: Date | null; source: SuppressionSource } | null> {
  const r = await sql.query<{ at: Date; synced: Date | null; source: SuppressionSource }>(
    `SELECT at, "shopifySyncedAt" AS synced, source FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`,
    [shop, customerId],
  );
  return r[0] ?? null;
}

export async function countShopifyAttempt(sql: Sql, shop: string, customerId: string): Promise<void> {
  await sql.query(`UPDATE "EmailSuppression" SET "shopifyAttempts" = "shopifyAttempts" + 1 WHERE shop = $1 AND "customerId" = $2`, [
    shop,
    customerId,
  ]);
}

export async function recordShopifyRejection(
  sql: Sql,
  shop: string,
  customerId: string,
  message: string,
  code: string,
  at: Date,
): Promise<void> {
  await sql.query(
    `UPDATE "EmailSuppression" SET "shopifyError" = $3, "shopifyErrorCode" = $4, "shopifyErrorAt" = $5 WHERE shop = $1 AND "customerId" = $2`,
    [shop, customerId, message.slice(0, 1000), code.slice(0, 100), at],
  );
}

export async function markSuppressionSynced(tx: Sql, shop: string, customerId: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE "EmailSuppression" SET "shopifySyncedAt" = $3, "shopifyError" = NULL, "shopifyErrorCode" = NULL, "shopifyErrorAt" = NULL WHERE shop = $1 AND "customerId" = $2`,
    [shop, customerId, at],
  );
}

/** Consent withdrawals Shopify has not confirmed, oldest first (rejected ones only once `rejectedBefore` has passed). */
export async function unsyncedSuppressions(
  sql: Sql,
  shop: string,
  opts: { rejectedBefore: Date | null; ignoreAttemptLimit: boolean; attemptLimit: number; limit: number },
): Promise<string[]> {
  const rows = await sql.query<{ customerId: string }>(
    `SELECT "customerId"::text AS "customerId" FROM "EmailSuppression"
     WHERE shop = $1 AND "shopifySyncedAt" IS NULL AND source = ANY($2::text[])
       AND ($3::timestamp(3) IS NULL OR "shopifyErrorAt" IS NULL OR "shopifyErrorAt" <= $3::timestamp(3))
       AND ($4::boolean OR "shopifyAttempts" < $5)
     ORDER BY at LIMIT $6`,
    [shop, CONSENT_SOURCES, opts.rejectedBefore, opts.ignoreAttemptLimit, opts.attemptLimit, opts.limit],
  );
  return rows.map((r) => r.customerId);
}

export async function consentSyncCounts(
  sql: Sql,
  shop: string,
): Promise<{ rejected: number; pending: number; latest: { code: string | null; message: string; at: Date | null } | null }> {
  const counts = (
    await sql.query<{ rejected: number; pending: number }>(
      `SELECT count(*) FILTER (WHERE "shopifyError" IS NOT NULL)::int AS rejected, count(*) FILTER (WHERE "shopifyError" IS NULL)::int AS pending
       FROM "EmailSuppression" WHERE shop = $1 AND "shopifySyncedAt" IS NULL AND source = ANY($2::text[])`,
      [shop, CONSENT_SOURCES],
    )
  )[0] ?? { rejected: 0, pending: 0 };
  const latest = (
    await sql.query<{ code: string | null; message: string; at: Date | null }>(
      `SELECT "shopifyErrorCode" AS code, "shopifyError" AS message, "shopifyErrorAt" AS at FROM "EmailSuppression"
       WHERE shop = $1 AND "shopifySyncedAt" IS NULL AND "shopifyError" IS NOT NULL AND source = ANY($2::text[])
       ORDER BY "shopifyErrorAt" DESC NULLS LAST LIMIT 1`,
      [shop, CONSENT_SOURCES],
    )
  )[0];
  return { rejected: counts.rejected, pending: counts.pending, latest: latest ?? null };
}

// ─── EmailFeedback ───────────────────────────────────────────────────────────

export async function insertFeedback(
  sql: Sql,
  f: {
    shop: string;
    customerId: string;
    messageLogId: string;
    messageId: string;
    campaignId: string | null;
    type: string;
    detail: string | null;
    at: Date;
  },
): Promise<boolean> {
  const inserted = await sql.query(
    `INSERT INTO "EmailFeedback" (id, shop, "customerId", "messageLogId", "messageId", "campaignId", type, detail, "receivedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT ("messageId", type) DO NOTHING RETURNING id`,
    [randomUUID(), f.shop, f.customerId, f.messageLogId, f.messageId, f.campaignId, f.type, f.detail, f.at],
  );
  return inserted.length > 0;
}

/**
 * A campaign's deliveries, unsubscribes and complaints for the guardrails. Delivered = sent minus
 * bounced; unsubscribes are attributed through the campaign carried in the unsubscribe token;
 * complaints through the message they name.
 */
export async function campaignMessageCounts(
  sql: Sql,
  campaignId: string,
): Promise<{ delivered: number; unsubscribed: number; complaints: number; clicks: number; uniqueClicks: number; humanOpens: number }> {
  const r = (
    await sql.query<{
      delivered: number;
      unsubscribed: number;
      complaints: number;
      clicks: number;
      uniqueClicks: number;
      humanOpens: number;
    }>(
      `SELECT
         (SELECT count(*)::int FROM "MessageLog" m WHERE m."campaignId" = $1 AND m.status = 'sent'
            AND NOT EXISTS (SELECT 1 FROM "EmailFeedback" f WHERE f."messageLogId" = m.id AND f.type = 'bounce')) AS delivered,
         (SELECT count(*)::int FROM "EmailSuppression" s WHERE s."campaignId" = $1 AND s.source IN ('one_click', 'link')) AS unsubscribed,
         (SELECT count(DISTINCT f."messageLogId")::int FROM "EmailFeedback" f WHERE f."campaignId" = $1 AND f.type = 'complaint') AS complaints,
         -- People only (ADR 093): scanner clicks and machine opens are stored flagged and not counted.
         (SELECT count(*)::int FROM "EmailEngagement" e WHERE e."campaignId" = $1 AND e.kind = 'click' AND NOT e.machine) AS clicks,
         (SELECT count(DISTINCT e."messageLogId")::int FROM "EmailEngagement" e WHERE e."campaignId" = $1 AND e.kind = 'click' AND NOT e.machine) AS "uniqueClicks",
         (SELECT count(DISTINCT e."messageLogId")::int FROM "EmailEngagement" e WHERE e."campaignId" = $1 AND e.kind = 'open' AND NOT e.machine) AS "humanOpens"`,
      [campaignId],
    )
  )[0]!;
  return {
    delivered: r.delivered,
    unsubscribed: r.unsubscribed,
    complaints: r.complaints,
    clicks: r.clicks,
    uniqueClicks: r.uniqueClicks,
    humanOpens: r.humanOpens,
  };
}

// ─── FlowTriggerLog ──────────────────────────────────────────────────────────

/**
 * Claims a Flow trigger's dedupe key (`firing`): a new key, or a retry of a failed one. Null when
 * another caller holds it or it already fired; a claim older than the lease is annotated, never fired again.
 */
export async function claimFlowTrigger(
  tx: Sql,
  t: { shop: string; customerId: string; handle: string; dedupeKey: string; payload: string; at: Date; leaseMs: number },
): Promise<string | null> {
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO "FlowTriggerLog" (id, shop, "customerId", handle, "dedupeKey", payload, status, attempts, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, 'firing', 1, $7, $7) ON CONFLICT (shop, "dedupeKey") DO NOTHING RETURNING id`,
    [randomUUID(), t.shop, t.customerId, t.handle, t.dedupeKey, t.payload, t.at],
  );
  if (inserted.length) return inserted[0]!.id;
  // Retry of a failed attempt: claim it again (only one concurrent caller wins the UPDATE).
  const retried = await tx.query<{ id: string }>(
    `UPDATE "FlowTriggerLog" SET status = 'firing', attempts = attempts + 1, payload = $3, handle = $4, "updatedAt" = $5, error = NULL
     WHERE shop = $1 AND "dedupeKey" = $2 AND status = 'failed' RETURNING id`,
    [t.shop, t.dedupeKey, t.payload, t.handle, t.at],
  );
  if (retried.length) return retried[0]!.id;
  await tx.query(
    `UPDATE "FlowTriggerLog" SET error = 'claimed but never confirmed (process stopped?); not fired again', "updatedAt" = $3
     WHERE shop = $1 AND "dedupeKey" = $2 AND status = 'firing' AND "updatedAt" <= $4 AND error IS NULL`,
    [t.shop, t.dedupeKey, t.at, new Date(t.at.getTime() - t.leaseMs)],
  );
  return null;
}

export async function markFlowTriggerFailed(sql: Sql, id: string, error: string, at: Date): Promise<void> {
  await sql.query(`UPDATE "FlowTriggerLog" SET status = 'failed', error = $2, "updatedAt" = $3 WHERE id = $1`, [
    id,
    error.slice(0, 1000),
    at,
  ]);
}

export async function markFlowTriggerFired(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query(`UPDATE "FlowTriggerLog" SET status = 'fired', "firedAt" = $2, "updatedAt" = $2, error = NULL WHERE id = $1`, [id, at]);
}

/**
 * claimFlowTrigger for many events in two or three statements (docs/decisions/095-batched-sends.md):
 * new keys are inserted as `firing`, failed ones claimed again; a key claimed by someone else is
 * not returned (and a claim older than the lease gets its note, as claimFlowTrigger writes). Returns
 * the claimed row id per dedupe key. Each statement is atomic per row, so concurrent callers claim a
 * key once. Dedupe keys must be distinct.
 */
export async function claimFlowTriggers(
  sql: Sql,
  shop: string,
  ts: Array<{ customerId: string; handle: string; dedupeKey: string; payload: string }>,
  at: Date,
  leaseMs: number,
): Promise<Map<string, string>> {
  const claimed = new Map<string, string>();
  if (!ts.length) return claimed;
  const inserted = await sql.query<{ id: string; dedupeKey: string }>(
    `INSERT INTO "FlowTriggerLog" (id, shop, "customerId", handle, "dedupeKey", payload, status, attempts, "createdAt", "updatedAt")
     SELECT u.id, $1, u.cid, u.handle, u.key, u.payload, 'firing', 1, $7, $7
       FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[]) AS u(id, cid, handle, key, payload)
     ON CONFLICT (shop, "dedupeKey") DO NOTHING RETURNING id, "dedupeKey"`,
    [
      shop,
      ts.map(() => randomUUID()),
      ts.map((t) => t.customerId),
      ts.map((t) => t.handle),
      ts.map((t) => t.dedupeKey),
      ts.map((t) => t.payload),
      at,
    ],
  );
  for (const r of inserted) claimed.set(r.dedupeKey, r.id);
  const rest = ts.filter((t) => !claimed.has(t.dedupeKey));
  if (!rest.length) return claimed;
  const retried = await sql.query<{ id: string; dedupeKey: string }>(
    `UPDATE "FlowTriggerLog" f SET status = 'firing', attempts = f.attempts + 1, payload = u.payload, handle = u.handle, "updatedAt" = $4, error = NULL
       FROM unnest($2::text[], $3::jsonb[], $5::text[]) AS u(key, payload, handle)
     WHERE f.shop = $1 AND f."dedupeKey" = u.key AND f.status = 'failed' RETURNING f.id, f."dedupeKey"`,
    [shop, rest.map((t) => t.dedupeKey), rest.map((t) => t.payload), at, rest.map((t) => t.handle)],
  );
  for (const r of retried) claimed.set(r.dedupeKey, r.id);
  const others = rest.filter((t) => !claimed.has(t.dedupeKey)).map((t) => t.dedupeKey);
  if (others.length)
    await sql.query(
      `UPDATE "FlowTriggerLog" SET error = 'claimed but never confirmed (process stopped?); not fired again', "updatedAt" = $3
       WHERE shop = $1 AND "dedupeKey" = ANY($2::text[]) AND status = 'firing' AND "updatedAt" <= $4 AND error IS NULL`,
      [shop, others, at, new Date(at.getTime() - leaseMs)],
    );
  return claimed;
}

/** markFlowTriggerFired for many rows in one statement. */
export async function markFlowTriggersFired(sql: Sql, ids: string[], at: Date): Promise<void> {
  if (!ids.length) return;
  await sql.query(
    `UPDATE "FlowTriggerLog" SET status = 'fired', "firedAt" = $2, "updatedAt" = $2, error = NULL WHERE id = ANY($1::text[])`,
    [ids, at],
  );
}

// ─── Compliance (customers/redact, shop/redact, customers/data_request) ─────

/** Children before parents: feedback, engagement and visits name a message. */
const TABLES = ["EmailFeedback", "EmailEngagement", "StorefrontVisit", "MessageLog", "EmailSuppression", "FlowTriggerLog"] as const;

/** Deletes everything messaging holds about these customers. */
export async function redactCustomers(sql: Sql, shop: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  for (const t of TABLES) await sql.query(`DELETE FROM "${t}" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
}

/** Deletes everything messaging holds about the shop. */
export async function redactShop(sql: Sql, shop: string): Promise<void> {
  for (const t of TABLES) await sql.query(`DELETE FROM "${t}" WHERE shop = $1`, [shop]);
}

/** Messaging's rows about these customers, by table, as the merchant must hand them over. */
export async function exportCustomerData(sql: Sql, shop: string, customerIds: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES)
    out[t] = await sql.query(`SELECT * FROM "${t}" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
  return out;
}

/** Of these customers (with their stored address), those suppressed by customer or by address: one query for a whole plan. */
export async function suppressedCustomerIds(
  sql: Sql,
  shop: string,
  customers: Array<{ customerId: string; email: string | null }>,
): Promise<Set<string>> {
  if (!customers.length) return new Set();
  const rows = await sql.query<{ id: string }>(
    `SELECT u.id::text AS id FROM unnest($2::bigint[], $3::text[]) AS u(id, email)
     WHERE EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = $1
                     AND ((s."customerId" = u.id AND s.source <> 'bounce') OR (u.email IS NOT NULL AND lower(s.email) = lower(u.email))))`,
    [shop, customers.map((c) => c.customerId), customers.map((c) => c.email)],
  );
  return new Set(rows.map((r) => r.id));
}

/** One message decision for a customer as the profile page lists it. */
export interface CustomerMessageRow {
  id: string;
  kind: string;
  campaignId: string | null;
  status: string;
  reason: string | null;
  subject: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** Opened by a person (ADR 093: machine opens such as Apple Mail Privacy Protection are not). */
  opened: boolean;
  /** A link in it was clicked by a person. */
  clicked: boolean;
  /** The customer visited the storefront from it (ADR 102: logged in, analytics allowed). */
  visited: boolean;
}

/** A customer's messages (sent, skipped with reason, failed) with opened / clicked, newest first, at most `limit`. */
export async function messagesOfCustomer(sql: Sql, shop: string, customerId: string, limit = 200): Promise<CustomerMessageRow[]> {
  const rows = await sql.query<CustomerMessageRow>(
    `SELECT m.id, m.kind, m."campaignId", m.status, m.reason, m.subject, m."createdAt", m."sentAt",
            coalesce(e.opened, false) AS opened, coalesce(e.clicked, false) AS clicked,
            EXISTS (SELECT 1 FROM "StorefrontVisit" v WHERE v.shop = $1 AND v."customerId" = $2::bigint AND v."messageLogId" = m.id) AS visited
       FROM (SELECT id, kind, "campaignId", status, reason, subject, "createdAt", "sentAt" FROM "MessageLog"
              WHERE shop = $1 AND "customerId" = $2::bigint ORDER BY coalesce("sentAt", "createdAt") DESC, id LIMIT $3) m
       LEFT JOIN (SELECT "messageLogId", bool_or(kind = 'open') AS opened, bool_or(kind = 'click') AS clicked
                    FROM "EmailEngagement" WHERE shop = $1 AND "customerId" = $2::bigint AND NOT machine GROUP BY 1) e
         ON e."messageLogId" = m.id
      ORDER BY coalesce(m."sentAt", m."createdAt") DESC, m.id`,
    [shop, customerId, limit],
  );
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt), sentAt: r.sentAt ? new Date(r.sentAt) : null }));
}

// ─── EmailEngagement (docs/decisions/093-engagement-tracking.md) ─────────────

export interface EngagementEvent {
  shop: string;
  messageLogId: string;
  customerId: string;
  kind: "open" | "click";
  linkIndex: number | null;
  link: string | null;
  /** Machine by its User-Agent (the caller's rule); an open is also machine within `machineWindowMs` of the send. */
  machine: boolean;
  userAgentClass: string;
  at: Date;
  /** Opens only: an open this soon after the message was sent is a proxy's prefetch. */
  machineWindowMs?: number;
}

/**
 * Records an open or a click of a message that still exists (same shop and customer as the signed
 * token): a message deleted by a customers/redact brings nothing back. The campaign comes from the
 * message row. Returns whether a row was written and whether it was stored as a machine's.
 */
export async function recordEngagement(sql: Sql, e: EngagementEvent): Promise<{ recorded: boolean; machine: boolean }> {
  const rows = await sql.query<{ machine: boolean }>(
    `INSERT INTO "EmailEngagement" (id, shop, "messageLogId", "customerId", "campaignId", kind, "linkIndex", link, machine, "userAgentClass", at)
     SELECT $1, m.shop, m.id, m."customerId", m."campaignId", $5, $6, $7,
            $8::boolean OR ($11::int IS NOT NULL AND m."sentAt" IS NOT NULL AND $10::timestamp(3) - m."sentAt" < make_interval(secs => $11::int / 1000.0)),
            $9, $10
       FROM "MessageLog" m WHERE m.id = $2 AND m.shop = $3 AND m."customerId" = $4::bigint
     RETURNING machine`,
    [
      randomUUID(),
      e.messageLogId,
      e.shop,
      e.customerId,
      e.kind,
      e.linkIndex,
      e.link,
      e.machine,
      e.userAgentClass,
      e.at,
      e.kind === "open" ? (e.machineWindowMs ?? null) : null,
    ],
  );
  return rows[0] ? { recorded: true, machine: rows[0].machine } : { recorded: false, machine: e.machine };
}

export interface MessageEngagement {
  /** A person opened it (machine opens excluded). */
  opened: boolean;
  /** Only machine opens (e.g. Apple Mail Privacy Protection): delivered to a mailbox that loads images, nothing more. */
  machineOpened: boolean;
  /** A person clicked a link in it (scanner clicks excluded). */
  clicked: boolean;
  clicks: number;
  lastClickAt: Date | null;
}

/** Opened / clicked per message, for the given messages of one shop (messages without engagement are absent). */
export async function engagementOfMessages(sql: Sql, shop: string, messageLogIds: string[]): Promise<Map<string, MessageEngagement>> {
  if (!messageLogIds.length) return new Map();
  const rows = await sql.query<{ id: string; opened: boolean; machineOpened: boolean; clicks: number; lastClickAt: Date | null }>(
    `SELECT "messageLogId" AS id,
            bool_or(kind = 'open' AND NOT machine) AS opened,
            bool_or(kind = 'open' AND machine) AS "machineOpened",
            count(*) FILTER (WHERE kind = 'click' AND NOT machine)::int AS clicks,
            max(at) FILTER (WHERE kind = 'click' AND NOT machine) AS "lastClickAt"
       FROM "EmailEngagement" WHERE shop = $1 AND "messageLogId" = ANY($2::text[]) GROUP BY 1`,
    [shop, messageLogIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        opened: r.opened,
        machineOpened: r.machineOpened && !r.opened,
        clicked: r.clicks > 0,
        clicks: r.clicks,
        lastClickAt: r.lastClickAt ? new Date(r.lastClickAt) : null,
      },
    ]),
  );
}

export interface CampaignEngagement {
  /** Messages of the campaign clicked at least once by a person. */
  uniqueClicks: number;
  /** Every click by a person (a double click counts twice). */
  clicks: number;
  /** Messages opened by a person (machine opens excluded). */
  humanOpens: number;
  /** Messages opened only by a machine (Apple MPP, image proxies). */
  machineOpens: number;
}

export async function campaignEngagement(sql: Sql, campaignId: string): Promise<CampaignEngagement> {
  const r = (
    await sql.query<CampaignEngagement>(
      `SELECT count(*) FILTER (WHERE clicks > 0)::int AS "uniqueClicks", coalesce(sum(clicks), 0)::int AS clicks,
              count(*) FILTER (WHERE human)::int AS "humanOpens", count(*) FILTER (WHERE machine AND NOT human)::int AS "machineOpens"
         FROM (SELECT count(*) FILTER (WHERE kind = 'click' AND NOT machine) AS clicks,
                      coalesce(bool_or(kind = 'open' AND NOT machine), false) AS human,
                      coalesce(bool_or(kind = 'open' AND machine), false) AS machine
                 FROM "EmailEngagement" WHERE "campaignId" = $1 GROUP BY "messageLogId") per_message`,
      [campaignId],
    )
  )[0];
  return r ?? { uniqueClicks: 0, clicks: 0, humanOpens: 0, machineOpens: 0 };
}

export interface CustomerEngagement {
  clicks: number;
  humanOpens: number;
  lastClickAt: Date | null;
  lastOpenAt: Date | null;
}

/** One customer's engagement roll-up (people only: machine opens and scanner clicks are left out). */
export async function customerEngagement(sql: Sql, shop: string, customerId: string): Promise<CustomerEngagement> {
  const r = (
    await sql.query<CustomerEngagement>(
      `SELECT count(*) FILTER (WHERE kind = 'click')::int AS clicks,
              count(*) FILTER (WHERE kind = 'open')::int AS "humanOpens",
              max(at) FILTER (WHERE kind = 'click') AS "lastClickAt",
              max(at) FILTER (WHERE kind = 'open') AS "lastOpenAt"
         FROM "EmailEngagement" WHERE shop = $1 AND "customerId" = $2::bigint AND NOT machine`,
      [shop, customerId],
    )
  )[0]!;
  return {
    clicks: r.clicks,
    humanOpens: r.humanOpens,
    lastClickAt: r.lastClickAt ? new Date(r.lastClickAt) : null,
    lastOpenAt: r.lastOpenAt ? new Date(r.lastOpenAt) : null,
  };
}

// ─── StorefrontVisit (docs/decisions/102-visits-codes-and-won-back-health.md) ─────

export interface StorefrontVisitEvent {
  shop: string;
  customerId: string;
  /** The `wb` parameter the click redirect put on the link (a MessageLog id), if the landing page had it. */
  messageLogId: string | null;
  path: string;
  at: Date;
  /** A visit this soon after the customer's previous one is the same visit; also how far back a click ties a visit to its message. */
  windowMs: number;
}

/**
 * Records a visit unless the customer already has one in the last `windowMs` (a page view every
 * few seconds is one visit). The message is the `wb` one if it is this customer's message in this
 * shop, else the message of the customer's latest human click in the window before the visit (the
 * discount link's redirect can drop the parameter), else none. A click-through visit is recorded
 * even inside the window when the visit there was not tied to that message. One statement: two
 * concurrent page loads can both pass the check (then two rows); rare and harmless for counts per 30 minutes.
 */
export async function recordStorefrontVisit(
  sql: Sql,
  v: StorefrontVisitEvent,
): Promise<{ recorded: boolean; messageLogId: string | null }> {
  const rows = await sql.query<{ messageLogId: string | null }>(
    `WITH msg AS (
       SELECT coalesce(
         (SELECT m.id FROM "MessageLog" m WHERE m.id = $4 AND m.shop = $2 AND m."customerId" = $3::bigint),
         (SELECT e."messageLogId" FROM "EmailEngagement" e
           WHERE e.shop = $2 AND e."customerId" = $3::bigint AND e.kind = 'click' AND NOT e.machine
             AND e.at <= $6::timestamp(3) AND e.at > $6::timestamp(3) - make_interval(secs => $7::int / 1000.0)
           ORDER BY e.at DESC LIMIT 1)) AS id
     )
     INSERT INTO "StorefrontVisit" (id, shop, "customerId", "messageLogId", "campaignId", path, at)
     SELECT $1, $2, $3::bigint, msg.id, (SELECT m."campaignId" FROM "MessageLog" m WHERE m.id = msg.id), $5, $6
       FROM msg
      WHERE NOT EXISTS (
        SELECT 1 FROM "StorefrontVisit" p
         WHERE p.shop = $2 AND p."customerId" = $3::bigint
           AND p.at > $6::timestamp(3) - make_interval(secs => $7::int / 1000.0) AND p.at <= $6::timestamp(3)
           AND (msg.id IS NULL OR p."messageLogId" IS NOT DISTINCT FROM msg.id))
     RETURNING "messageLogId"`,
    [randomUUID(), v.shop, v.customerId, v.messageLogId, v.path, v.at, v.windowMs],
  );
  return rows[0] ? { recorded: true, messageLogId: rows[0].messageLogId } : { recorded: false, messageLogId: null };
}

export interface CustomerVisits {
  lastVisitAt: Date | null;
  /** Visits in the 30 days before `now`. */
  visits30d: number;
  /** Visits that came from a message's link. */
  fromMessages: number;
  total: number;
}

/** One customer's storefront visits rolled up (the profile). */
export async function customerVisits(sql: Sql, shop: string, customerId: string, now: Date): Promise<CustomerVisits> {
  const r = (
    await sql.query<{ lastVisitAt: Date | null; visits30d: number; fromMessages: number; total: number }>(
      `SELECT max(at) AS "lastVisitAt", count(*) FILTER (WHERE at > $3::timestamp(3) - interval '30 days' AND at <= $3::timestamp(3))::int AS "visits30d",
              count("messageLogId")::int AS "fromMessages", count(*)::int AS total
         FROM "StorefrontVisit" WHERE shop = $1 AND "customerId" = $2::bigint`,
      [shop, customerId, now],
    )
  )[0]!;
  return { ...r, lastVisitAt: r.lastVisitAt ? new Date(r.lastVisitAt) : null };
}

/** Per campaign: visits its messages brought, and the distinct customers who made them. */
export async function campaignVisits(sql: Sql, campaignId: string): Promise<{ visits: number; visitors: number }> {
  const r = (
    await sql.query<{ visits: number; visitors: number }>(
      `SELECT count(*)::int AS visits, count(DISTINCT "customerId")::int AS visitors FROM "StorefrontVisit" WHERE "campaignId" = $1`,
      [campaignId],
    )
  )[0];
  return r ?? { visits: 0, visitors: 0 };
}

/** A shop's sent campaign messages (id, kind, customer, campaign, sent at): the code outcomes are read against these (ADR 102). */
export async function sentCampaignMessages(
  sql: Sql,
  shop: string,
  filter: { campaignId?: string; customerId?: string } = {},
): Promise<Array<{ id: string; kind: string; customerId: string; campaignId: string; sentAt: Date }>> {
  const rows = await sql.query<{ id: string; kind: string; customerId: string; campaignId: string; sentAt: Date }>(
    `SELECT id, kind, "customerId"::text AS "customerId", "campaignId", "sentAt" FROM "MessageLog"
      WHERE shop = $1 AND status = 'sent' AND "sentAt" IS NOT NULL AND "campaignId" IS NOT NULL
        AND ($2::text IS NULL OR "campaignId" = $2) AND ($3::bigint IS NULL OR "customerId" = $3::bigint)
      ORDER BY "sentAt", id`,
    [shop, filter.campaignId ?? null, filter.customerId ?? null],
  );
  return rows.map((r) => ({ ...r, sentAt: new Date(r.sentAt) }));
}

/**
 * For each (customer, at), people's clicks and opens of any of our emails before `at` (machine
 * opens and scanner clicks left out), in the order of `points`: uplift features (ADR 100). Only
 * what happened before the instant, or the treated arm's own clicks would leak the outcome.
 */
export async function engagementBefore(
  sql: Sql,
  shop: string,
  points: ReadonlyArray<{ customerId: string; at: Date }>,
): Promise<Array<{ clicks: number; opens: number }>> {
  if (!points.length) return [];
  const rows = await sql.query<{ i: number; clicks: number; opens: number }>(
    `SELECT p.i::int AS i, count(e.id) FILTER (WHERE e.kind = 'click')::int AS clicks, count(e.id) FILTER (WHERE e.kind = 'open')::int AS opens
       FROM unnest($2::bigint[], $3::timestamp[]) WITH ORDINALITY AS p(cid, at, i)
       LEFT JOIN "EmailEngagement" e ON e.shop = $1 AND e."customerId" = p.cid AND e.at < p.at AND NOT e.machine
      GROUP BY p.i`,
    [shop, points.map((p) => p.customerId), points.map((p) => p.at.toISOString())],
  );
  const out = points.map(() => ({ clicks: 0, opens: 0 }));
  for (const r of rows) out[r.i - 1] = { clicks: r.clicks, opens: r.opens };
  return out;
}

/**
 * The first click by a person (scanner clicks left out, ADR 093) on any message of one campaign,
 * per customer: what a sequence step that reacts (ADR 101) branches on. One statement for a chunk.
 */
export async function firstHumanClicks(sql: Sql, shop: string, campaignId: string, customerIds: string[]): Promise<Map<string, Date>> {
  if (!customerIds.length) return new Map();
  const rows = await sql.query<{ customerId: string; at: Date }>(
    `SELECT "customerId"::text AS "customerId", min(at) AS at FROM "EmailEngagement"
      WHERE shop = $1 AND "campaignId" = $2 AND "customerId" = ANY($3::bigint[]) AND kind = 'click' AND NOT machine
      GROUP BY "customerId"`,
    [shop, campaignId, customerIds],
  );
  return new Map(rows.map((r) => [r.customerId, new Date(r.at)]));
}

const CLICK = SIGNAL_KINDS.indexOf("click");

/**
 * Human clicks in the shop's emails (EmailEngagement; machine clicks such as link scanners excluded,
 * ADR 093) as the churn score's "click" signal (ADR 110), in id order a chunk at a time, each chunk
 * one packed text value ("customerId,epochMs" per click).
 */
export async function* clickSignalBatches(sql: Sql, shop: string, chunk = 50_000): AsyncGenerator<SignalEvents> {
  let after = "";
  for (;;) {
    const rows = await sql.query<{ b: string | null; last: string | null; n: number }>(
      `SELECT string_agg(c, ';' ORDER BY id) AS b, max(id) AS last, count(*)::int AS n FROM (
         SELECT id, "customerId"::text || ',' || (extract(epoch from at) * 1000)::bigint::text AS c
           FROM "EmailEngagement"
          WHERE shop = $1 AND kind = 'click' AND NOT machine AND id > $2
          ORDER BY id LIMIT $3) s`,
      [shop, after, chunk],
    );
    const r = rows[0];
    if (r?.b) {
      const items = r.b.split(";");
      const customerIds = new Array<string>(items.length);
      const at = new Float64Array(items.length);
      for (let k = 0; k < items.length; k++) {
        const i = items[k]!.indexOf(",");
        customerIds[k] = items[k]!.slice(0, i);
        at[k] = Number(items[k]!.slice(i + 1));
      }
      yield { customerIds, kinds: new Uint8Array(items.length).fill(CLICK), at };
    }
    if (!r?.last || r.n < chunk) return;
    after = r.last;
  }
}
