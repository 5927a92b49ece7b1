import type { Sql } from "../db/sql";
import type { JobQueue } from "../jobs/queue";
import { AppError, isAppError } from "../lib/errors";
import { assertNoUserErrors, type AdminClient, type UserErrorLike } from "../shopify/graphql-client";
import { CUSTOMER_EMAIL_CONSENT_UPDATE } from "../shopify/documents/messaging";
import { verifyUnsubscribeToken } from "./token";
import { customerGid } from "../shopify/ids";

/**
 * Unsubscribes and their way to Shopify. The local suppression row is the source of truth for
 * Winback's own sends and is written first, in the request; Shopify's consent is updated by the
 * `messaging.consent` job (retried on THROTTLED/NETWORK), so a slow or throttled Admin API never
 * makes an unsubscribe fail. A later sync that still carries SUBSCRIBED cannot re-enable email:
 * the gate checks the suppression table as well as `Customer.emailConsent`.
 */
export const CONSENT_JOB = "messaging.consent";

export type SuppressionSource = "one_click" | "link" | "complaint" | "bounce" | "shopify";

/** Sources that withdraw consent (and are told to Shopify); a hard bounce only stops sending to that address. */
const CONSENT_SOURCES: SuppressionSource[] = ["one_click", "link", "complaint"];

export interface SuppressDeps {
  sql: Sql;
  queue: Pick<JobQueue, "send">;
  now?: () => Date;
}

export interface SuppressInput {
  shop: string;
  customerId: string;
  source: SuppressionSource;
  campaignId?: string | null;
  messageLogId?: string | null;
}

/** Records a suppression once (a second click keeps the first record and its attribution). */
export async function suppressCustomer(deps: SuppressDeps, input: SuppressInput): Promise<{ created: boolean }> {
  const at = (deps.now ?? (() => new Date()))();
  const { created, needsSync } = await deps.sql.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO "EmailSuppression" (shop, "customerId", email, source, "campaignId", "messageLogId", at)
       VALUES ($1, $2, (SELECT email FROM "Customer" WHERE shop = $1 AND id = $2), $3, $4, $5, $6)
       ON CONFLICT (shop, "customerId") DO UPDATE SET source = excluded.source, "campaignId" = excluded."campaignId",
         "messageLogId" = excluded."messageLogId", at = excluded.at, email = coalesce(excluded.email, "EmailSuppression".email)
       -- A withdrawal of consent replaces an earlier bounce-only record; otherwise the first record stays.
       WHERE "EmailSuppression".source = 'bounce' AND excluded.source <> 'bounce'
       RETURNING shop`,
      [input.shop, input.customerId, input.source, input.campaignId ?? null, input.messageLogId ?? null, at],
    );
    if (!CONSENT_SOURCES.includes(input.source)) return { created: inserted.length > 0, needsSync: false };
    // Our copy changes at once, so every feature reading Customer.emailConsent stops too.
    await tx.query(`UPDATE "Customer" SET "emailConsent" = 'UNSUBSCRIBED' WHERE shop = $1 AND id = $2 AND "emailConsent" IS DISTINCT FROM 'UNSUBSCRIBED'`, [
      input.shop,
      input.customerId,
    ]);
    const row = (await tx.query<{ synced: boolean }>(`SELECT "shopifySyncedAt" IS NOT NULL AS synced FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [input.shop, input.customerId]))[0];
    return { created: inserted.length > 0, needsSync: !row?.synced };
  });
  // Re-sent while Shopify has not confirmed: a crash after the insert still reaches Shopify on the next click.
  if (needsSync) {
    await deps.queue.send(CONSENT_JOB, { shop: input.shop, customerId: input.customerId }, { singletonKey: `${CONSENT_JOB}:${input.shop}:${input.customerId}` });
  }
  return { created };
}

/** The unsubscribe link's action: verify the token, then suppress. Bad tokens throw (400/401). */
export async function unsubscribeWithToken(
  deps: SuppressDeps & { secret: string },
  token: string,
  source: "one_click" | "link",
): Promise<{ shop: string; customerId: string; created: boolean }> {
  const claims = verifyUnsubscribeToken(deps.secret, token);
  const r = await suppressCustomer(deps, {
    shop: claims.shop,
    customerId: claims.customerId,
    source,
    campaignId: claims.campaignId,
    messageLogId: claims.messageLogId,
  });
  return { shop: claims.shop, customerId: claims.customerId, created: r.created };
}

/** Whether a customer is suppressed (GET page shows "already unsubscribed"). */
export async function isSuppressed(sql: Sql, shop: string, customerId: string): Promise<boolean> {
  const rows = await sql.query(`SELECT 1 FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [shop, customerId]);
  return rows.length > 0;
}

interface ConsentUpdateResult {
  customerEmailMarketingConsentUpdate: {
    customer: { id: string; defaultEmailAddress: { marketingState: string } | null } | null;
    userErrors: UserErrorLike[];
  } | null;
}

export interface ConsentJobDeps {
  sql: Sql;
  client: (shop: string) => Promise<AdminClient>;
  now?: () => Date;
}

/**
 * The opt-in level sent with every consent update. Shopify refuses an update without one
 * (userError MISSING_ARGUMENT "Marketing opt in level must exist", recorded against a live 2026-04
 * store: airhorns/shopify-draft-proxy customers/customer-email-marketing-consent-update-parity.json),
 * and the same recording's UNSUBSCRIBED transition with SINGLE_OPT_IN succeeds. For a withdrawal
 * the level only describes how the consent had been collected; Winback does not know better.
 */
export const CONSENT_OPT_IN_LEVEL = "SINGLE_OPT_IN";

/**
 * The `messaging.consent` job: sets the customer's email marketing consent to UNSUBSCRIBED in
 * Shopify, dated when the customer unsubscribed. THROTTLED/NETWORK errors propagate so the queue
 * retries. A userError is not retried by the queue (the same request fails the same way until its
 * cause is fixed); it is stored on the suppression row (code, message, when), shown to the merchant
 * (consentSyncSummary) and sent again by requeueConsentUpdates: daily, after the app is
 * re-authorized, and from the merchant's Retry.
 */
export async function syncConsentToShopify(deps: ConsentJobDeps, p: { shop: string; customerId: string }): Promise<"updated" | "already" | "gone" | "rejected"> {
  const now = deps.now ?? (() => new Date());
  const row = (
    await deps.sql.query<{ at: Date; synced: Date | null; source: SuppressionSource }>(`SELECT at, "shopifySyncedAt" AS synced, source FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [p.shop, p.customerId])
  )[0];
  if (!row) return "gone"; // redacted since
  if (row.synced) return "already";
  if (!CONSENT_SOURCES.includes(row.source)) return "already"; // a bounce is not a withdrawal of consent
  const client = await deps.client(p.shop);
  await deps.sql.query(`UPDATE "EmailSuppression" SET "shopifyAttempts" = "shopifyAttempts" + 1 WHERE shop = $1 AND "customerId" = $2`, [p.shop, p.customerId]);
  const res = await client.request<ConsentUpdateResult>(CUSTOMER_EMAIL_CONSENT_UPDATE, {
    input: {
      customerId: customerGid(p.customerId),
      emailMarketingConsent: { marketingState: "UNSUBSCRIBED", marketingOptInLevel: CONSENT_OPT_IN_LEVEL, consentUpdatedAt: new Date(row.at).toISOString() },
    },
  });
  const payload = res.customerEmailMarketingConsentUpdate;
  try {
    if (!payload) throw new AppError("SHOPIFY_GRAPHQL", "customerEmailMarketingConsentUpdate returned null");
    assertNoUserErrors(payload.userErrors, "customerEmailMarketingConsentUpdate");
  } catch (e) {
    if (!isAppError(e, "SHOPIFY_USER_ERRORS")) throw e;
    const first = (payload?.userErrors ?? [])[0];
    await deps.sql.query(
      `UPDATE "EmailSuppression" SET "shopifyError" = $3, "shopifyErrorCode" = $4, "shopifyErrorAt" = $5 WHERE shop = $1 AND "customerId" = $2`,
      [p.shop, p.customerId, e.message.slice(0, 1000), (first?.code ?? "USER_ERROR").slice(0, 100), now()],
    );
    console.warn(`[messaging] consent update rejected for ${p.shop} customer ${p.customerId}: ${e.message}`);
    return "rejected";
  }
  const at = now();
  await deps.sql.transaction(async (tx) => {
    await tx.query(
      `UPDATE "EmailSuppression" SET "shopifySyncedAt" = $3, "shopifyError" = NULL, "shopifyErrorCode" = NULL, "shopifyErrorAt" = NULL WHERE shop = $1 AND "customerId" = $2`,
      [p.shop, p.customerId, at],
    );
    const state = payload.customer?.defaultEmailAddress?.marketingState;
    if (state) await tx.query(`UPDATE "Customer" SET "emailConsent" = $3 WHERE shop = $1 AND id = $2`, [p.shop, p.customerId, state]);
  });
  return "updated";
}

/** Automatic retries stop after this many attempts of one row (the merchant's Retry still sends it). */
export const CONSENT_AUTO_RETRY_LIMIT = 10;

export interface RequeueOptions {
  /** Only rows whose last rejection is at least this old (0: all). Rows never tried are always sent. */
  minAgeMs?: number;
  /** The merchant asked: ignore CONSENT_AUTO_RETRY_LIMIT. */
  manual?: boolean;
  /** At most this many rows per call (default 1000). */
  limit?: number;
}

/**
 * Sends every consent withdrawal Shopify has not confirmed again (rejected ones, and ones whose job
 * was lost). One job per customer under the same singleton key as the first send, so a row already
 * queued is not queued twice. Returns how many were queued.
 */
export async function requeueConsentUpdates(deps: SuppressDeps, shop: string, opts: RequeueOptions = {}): Promise<number> {
  const at = (deps.now ?? (() => new Date()))();
  const cutoff = opts.minAgeMs ? new Date(at.getTime() - opts.minAgeMs) : null;
  const rows = await deps.sql.query<{ customerId: string }>(
    `SELECT "customerId"::text AS "customerId" FROM "EmailSuppression"
     WHERE shop = $1 AND "shopifySyncedAt" IS NULL AND source = ANY($2::text[])
       AND ($3::timestamp(3) IS NULL OR "shopifyErrorAt" IS NULL OR "shopifyErrorAt" <= $3::timestamp(3))
       AND ($4::boolean OR "shopifyAttempts" < $5)
     ORDER BY at LIMIT $6`,
    [shop, CONSENT_SOURCES, cutoff, !!opts.manual, CONSENT_AUTO_RETRY_LIMIT, opts.limit ?? 1000],
  );
  for (const r of rows) {
    await deps.queue.send(CONSENT_JOB, { shop, customerId: r.customerId }, { singletonKey: `${CONSENT_JOB}:${shop}:${r.customerId}` });
  }
  return rows.length;
}

/** What the merchant sees about consent withdrawals on their way to Shopify. */
export interface ConsentSyncSummary {
  /** Rejected by Shopify (a userError is stored). */
  rejected: number;
  /** Not confirmed by Shopify yet and not rejected (queued, or retrying after throttling). */
  pending: number;
  /** The most recent rejection, as Shopify worded it. */
  latest: { code: string | null; message: string; at: string | null } | null;
}

export async function consentSyncSummary(sql: Sql, shop: string): Promise<ConsentSyncSummary> {
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
  return {
    rejected: counts.rejected,
    pending: counts.pending,
    latest: latest ? { code: latest.code, message: latest.message, at: latest.at ? new Date(latest.at).toISOString() : null } : null,
  };
}
