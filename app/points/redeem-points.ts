import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Sql } from "../db/sql";
import { rebuild, redeem as domainRedeem, type PointsSettings } from "../domain/points";
import { AppError, isAppError } from "../lib/errors";
import { parseOrThrow, ShopDomain } from "../lib/parse";
import { createBasicCodeDiscount, findCodeDiscount } from "../shopify/discounts";
import type { AdminClient } from "../shopify/graphql-client";
import { shopFacts } from "../shop-settings.server";
import {
  failRedemption,
  findRedemptionByKey,
  issueRedemption,
  loadFacts,
  loadLedgerRows,
  loadPointsSettings,
  lockLedgerRows,
  recomputeCustomers,
  savePendingRedemption,
  staleRedemptions,
  type RedemptionRow,
} from "./store";
import { ledgerSettings } from "./settings";
import { customerGid } from "../shopify/ids";

/**
 * Storefront redemption (app proxy): points → a single-use discount code only this customer can
 * use. Two steps, because a Shopify call must not run inside a database transaction:
 *  1. under the customer's ledger row lock: replay check by idempotency key, balance check through
 *     the domain, the redemption recorded as `pending` (it already counts in the ledger, so a
 *     concurrent redemption cannot spend the same points);
 *  2. the code is created in Shopify; then the redemption is `issued`. If Shopify definitively
 *     refuses, it becomes `failed` — no longer a ledger fact — and the customer's ledger is
 *     recomputed (the points come back). If the outcome is unknown (Shopify unreachable), it stays
 *     `pending` and the same request (same key) resumes it; creating a code that already exists is
 *     detected and treated as success, so a resume never creates a second code.
 */
export interface RedeemDeps {
  sql: Sql;
  client: (shop: string) => Promise<AdminClient>;
  now?: () => Date;
  /** After the ledger changed (enqueue points.sync); failures are logged, never fail a redemption. */
  onLedgerChanged?: (shop: string) => Promise<void>;
  newCode?: () => string;
}

export const RedeemInputSchema = z.object({
  shop: ShopDomain,
  customerId: z.string().regex(/^\d{1,20}$/, "a logged-in customer id is required"),
  points: z.coerce.number().int("points must be a whole number").nonnegative(),
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, "idempotency key must be 8-100 characters of [A-Za-z0-9_.:-]"),
});
export type RedeemInput = z.input<typeof RedeemInputSchema>;

export interface RedeemOutcome {
  code: string;
  points: number;
  value: number;
  currencyCode: string;
  /** Points left after this redemption (at the time of the answer). */
  balance: number;
  /** True when this answer repeats an earlier request with the same key. */
  replayed: boolean;
}

/** Unambiguous characters (no 0/O, 1/I/L) so a shopper can type the code. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export function newDiscountCode(): string {
  const b = randomBytes(10);
  return `PTS-${Array.from(b, (x) => CODE_ALPHABET[x % CODE_ALPHABET.length]).join("")}`;
}

const nowOf = (d: RedeemDeps) => d.now?.() ?? new Date();

export async function redeemPoints(deps: RedeemDeps, raw: RedeemInput): Promise<RedeemOutcome> {
  const input = parseOrThrow(RedeemInputSchema, raw, "redeem request");
  const { shop, customerId, idempotencyKey } = input;
  const app = await loadPointsSettings(deps.sql, shop);
  // Off (ADR 079): no reward before the merchant turned points on, whatever a stale banner offers.
  if (!app.program.enabled) throw new AppError("NOT_FOUND", "Points are not available in this shop");
  const settings = ledgerSettings(app);
  const { currencyCode } = await shopFacts(deps.sql, shop);
  const now = nowOf(deps);

  const phase1 = await deps.sql.transaction(async (tx) => {
    await lockLedgerRows(tx, shop, [customerId]);
    const existing = await findRedemptionByKey(tx, shop, customerId, idempotencyKey);
    if (existing && existing.status !== "failed") return { row: existing, replayed: true };
    const step = settings.redemptionRate.points;
    const want = Math.floor(input.points / step) * step;
    if (want <= 0)
      throw new AppError("INVALID_INPUT", `at least ${step} points are needed for a reward`, {
        details: { step, requested: input.points },
      });
    const state = rebuild(await loadFacts(tx, shop, [customerId]), settings);
    const id = existing?.id ?? randomUUID();
    // The domain decides: balance at `now` (expired lots excluded), multiple of the step.
    const r = domainRedeem(state, customerId, want, settings.redemptionRate, now, id);
    const code = existing?.code ?? (deps.newCode ?? newDiscountCode)();
    const row = await savePendingRedemption(tx, {
      id,
      shop,
      customerId,
      idempotencyKey,
      points: r.points,
      value: r.value.toFixed(2),
      currency: currencyCode,
      code,
      at: now,
    });
    await recomputeCustomers(tx, shop, [customerId], settings, now);
    return { row, replayed: false };
  });

  let row = phase1.row;
  if (row.status === "pending") row = await issueInShopify(deps, shop, customerId, row, settings);
  const ledger = (await loadLedgerRows(deps.sql, shop, { customerIds: [customerId] }))[0];
  await deps.onLedgerChanged?.(shop).catch((e) => console.error(`[points] ${shop}: could not schedule the metafield sync`, e));
  return {
    code: row.code,
    points: row.points,
    value: Number(row.value),
    currencyCode: row.currency,
    balance: ledger?.balance ?? 0,
    replayed: phase1.replayed,
  };
}

async function issueInShopify(
  deps: RedeemDeps,
  shop: string,
  customerId: string,
  row: RedemptionRow,
  settings: PointsSettings,
): Promise<RedemptionRow> {
  let discountId: string | null = null;
  let refusal: AppError | null = null;
  try {
    const client = await deps.client(shop);
    const res = await createBasicCodeDiscount(client, {
      title: `Points reward ${row.code} (${row.points} points)`,
      code: row.code,
      startsAt: new Date(row.createdAt).toISOString(),
      context: { customers: { add: [customerGid(customerId)] } },
      customerGets: { value: { discountAmount: { amount: Number(row.value).toFixed(2), appliesOnEachItem: false } }, items: { all: true } },
      usageLimit: 1,
      appliesOncePerCustomer: true,
      combinesWith: { orderDiscounts: false, productDiscounts: true, shippingDiscounts: true },
    });
    if (res.ok) discountId = res.value.id;
    else {
      // A resumed redemption finds its own code already created: that is success, not a second code.
      const found = await findCode(client, row.code);
      if (found) discountId = found;
      else
        refusal = new AppError("SHOPIFY_USER_ERRORS", `discountCodeBasicCreate: ${res.userErrors.map((u) => u.message).join("; ")}`, {
          details: res.userErrors,
        });
    }
  } catch (e) {
    if (isAppError(e) && (e.code === "SHOPIFY_GRAPHQL" || e.code === "SHOPIFY_USER_ERRORS" || e.code === "UNAUTHENTICATED")) refusal = e;
    else {
      // Unknown outcome (network, throttled, 5xx): keep it pending; the same request resumes it.
      throw new AppError("NETWORK", "Shopify did not answer; please try again", {
        cause: e,
        retryable: true,
        details: { redemptionId: row.id },
      });
    }
  }
  if (refusal) {
    await deps.sql.transaction(async (tx) => {
      await lockLedgerRows(tx, shop, [customerId]);
      await failRedemption(tx, row.id, refusal!.message);
      await recomputeCustomers(tx, shop, [customerId], settings, nowOf(deps));
    });
    throw new AppError(refusal.code, `The reward could not be created: ${refusal.message}`, { cause: refusal, details: refusal.details });
  }
  return (await issueRedemption(deps.sql, row.id, discountId)) ?? { ...row, status: "issued", discountId };
}

async function findCode(client: AdminClient, code: string): Promise<string | null> {
  return (await findCodeDiscount(client, code))?.id ?? null;
}

/**
 * Pending redemptions older than `olderThanMs` (the request died between the steps and was never
 * retried): issued if the code exists in Shopify, otherwise failed and the points come back.
 */
export async function settleStaleRedemptions(
  deps: RedeemDeps,
  shop: string,
  olderThanMs = 15 * 60_000,
): Promise<{ issued: number; failed: number }> {
  const cutoff = new Date(nowOf(deps).getTime() - olderThanMs);
  const stale = await staleRedemptions(deps.sql, shop, cutoff);
  if (!stale.length) return { issued: 0, failed: 0 };
  const client = await deps.client(shop);
  const settings = ledgerSettings(await loadPointsSettings(deps.sql, shop));
  let issued = 0;
  let failed = 0;
  for (const s of stale) {
    const id = await findCode(client, s.code);
    await deps.sql.transaction(async (tx) => {
      await lockLedgerRows(tx, shop, [s.customerId]);
      if (id) {
        await issueRedemption(tx, s.id, id);
      } else {
        await failRedemption(tx, s.id, "abandoned before the code was created");
        await recomputeCustomers(tx, shop, [s.customerId], settings, nowOf(deps));
      }
    });
    if (id) issued++;
    else failed++;
  }
  return { issued, failed };
}
