import type { Sql } from "../db/sql";
import type { JobQueue } from "../jobs/queue";
import type { AdminClient } from "../shopify/graphql-client";
import { updateEmailMarketingConsent } from "../shopify/marketing";
import { userErrorsError } from "../shopify/response";
import { verifyUnsubscribeToken } from "./token";
import { customerGid } from "../shopify/ids";
import { emailContact, markEmailUnsubscribed, setEmailMarketingState } from "../sync/store/customers";
import {
  CONSENT_SOURCES,
  consentSyncCounts,
  countShopifyAttempt,
  hasSuppression,
  insertSuppression,
  markSuppressionSynced,
  recordShopifyRejection,
  suppressionOf,
  unsyncedSuppressions,
  type SuppressionSource,
} from "./store";

/**
 * Unsubscribes and their way to Shopify. The local suppression row is the source of truth for
 * Winback's own sends and is written first, in the request; Shopify's consent is updated by the
 * `messaging.consent` job (retried on THROTTLED/NETWORK), so a slow or throttled Admin API never
 * makes an unsubscribe fail. A later sync that still carries SUBSCRIBED cannot re-enable email:
 * the gate checks the suppression table as well as `Customer.emailConsent`.
 */
export const CONSENT_JOB = "messaging.consent";

export type { SuppressionSource } from "./store";

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
    const contact = await emailContact(tx, input.shop, input.customerId);
    const inserted = await insertSuppression(tx, {
      shop: input.shop,
      customerId: input.customerId,
      email: contact?.email ?? null,
      source: input.source,
      campaignId: input.campaignId ?? null,
      messageLogId: input.messageLogId ?? null,
      at,
    });
    if (!CONSENT_SOURCES.includes(input.source)) return { created: inserted, needsSync: false };
    // Our copy changes at once (through the sync's customer API), so every feature reading the consent stops too.
    await markEmailUnsubscribed(tx, input.shop, input.customerId);
    const row = await suppressionOf(tx, input.shop, input.customerId);
    return { created: inserted, needsSync: !row?.synced };
  });
  // Re-sent while Shopify has not confirmed: a crash after the insert still reaches Shopify on the next click.
  if (needsSync) {
    await deps.queue.send(
      CONSENT_JOB,
      { shop: input.shop, customerId: input.customerId },
      { singletonKey: `${CONSENT_JOB}:${input.shop}:${input.customerId}` },
    );
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
  return hasSuppression(sql, shop, customerId);
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
export async function syncConsentToShopify(
  deps: ConsentJobDeps,
  p: { shop: string; customerId: string },
): Promise<"updated" | "already" | "gone" | "rejected"> {
  const now = deps.now ?? (() => new Date());
  const row = await suppressionOf(deps.sql, p.shop, p.customerId);
  if (!row) return "gone"; // redacted since
  if (row.synced) return "already";
  if (!CONSENT_SOURCES.includes(row.source)) return "already"; // a bounce is not a withdrawal of consent
  const client = await deps.client(p.shop);
  await countShopifyAttempt(deps.sql, p.shop, p.customerId);
  const res = await updateEmailMarketingConsent(client, {
    customerId: customerGid(p.customerId),
    marketingState: "UNSUBSCRIBED",
    marketingOptInLevel: CONSENT_OPT_IN_LEVEL,
    consentUpdatedAt: new Date(row.at).toISOString(),
  });
  if (!res.ok) {
    const e = userErrorsError(res.userErrors, "customerEmailMarketingConsentUpdate");
    const first = res.userErrors[0];
    await recordShopifyRejection(deps.sql, p.shop, p.customerId, e.message, first?.code ?? "USER_ERROR", now());
    console.warn(`[messaging] consent update rejected for ${p.shop} customer ${p.customerId}: ${e.message}`);
    return "rejected";
  }
  const at = now();
  await deps.sql.transaction(async (tx) => {
    await markSuppressionSynced(tx, p.shop, p.customerId, at);
    const state = res.value.marketingState;
    if (state) await setEmailMarketingState(tx, p.shop, p.customerId, state);
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
  const rows = await unsyncedSuppressions(deps.sql, shop, {
    rejectedBefore: cutoff,
    ignoreAttemptLimit: !!opts.manual,
    attemptLimit: CONSENT_AUTO_RETRY_LIMIT,
    limit: opts.limit ?? 1000,
  });
  for (const customerId of rows) {
    await deps.queue.send(CONSENT_JOB, { shop, customerId }, { singletonKey: `${CONSENT_JOB}:${shop}:${customerId}` });
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
  const c = await consentSyncCounts(sql, shop);
  return {
    rejected: c.rejected,
    pending: c.pending,
    latest: c.latest
      ? { code: c.latest.code, message: c.latest.message, at: c.latest.at ? new Date(c.latest.at).toISOString() : null }
      : null,
  };
}
