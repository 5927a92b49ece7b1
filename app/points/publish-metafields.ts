import type { Sql } from "../db/sql";
import { balanceOf, nextExpiry, type PointsSettings, type RedemptionRate } from "../domain/points";
import { z } from "zod";
import type { AdminClient } from "../shopify/graphql-client";
import { assertNoUserErrors } from "../shopify/graphql-client";
import { createMetafieldDefinition, deleteMetafields, readShopMetafield, setMetafields } from "../shopify/metafields";
import { requireOk } from "../shopify/response";
import {
  customersWithStorefrontValues,
  forgetStorefrontValues,
  loadLedgerRows,
  loadPointsSettings,
  recordSyncedValues,
  stateFromRows,
  type LedgerRow,
} from "./store";
import { metafieldsSetInBulk } from "./write-metafields-bulk";
import { ledgerSettings } from "./settings";
import { customerGid } from "../shopify/ids";

/**
 * The storefront reads points from customer metafields in the app-reserved namespace `$app:loyalty`
 * (only this app can write them; the theme extension reads `customer.metafields['$app:loyalty']`).
 * `points_expire_at` is a date_time, not a date: the banner counts down to the instant the lot
 * expires, and a date would shift by the shop's UTC offset.
 */
export const LOYALTY_NAMESPACE = "$app:loyalty";

export const LOYALTY_DEFINITIONS = [
  {
    ownerType: "CUSTOMER",
    key: "points_balance",
    type: "number_integer",
    name: "Points balance",
    description: "Loyalty points the customer can redeem now (Winback).",
  },
  {
    ownerType: "CUSTOMER",
    key: "points_expiring",
    type: "number_integer",
    name: "Points expiring next",
    description: "Points that expire on the next expiry date (Winback).",
  },
  {
    ownerType: "CUSTOMER",
    key: "points_expire_at",
    type: "date_time",
    name: "Next points expiry",
    description: "When the next points expire (Winback).",
  },
  // The banner values points with the app's own rate, not a copy in the theme editor that can drift.
  {
    ownerType: "SHOP",
    key: "reward",
    type: "json",
    name: "Points reward rate",
    description: 'Points per reward and the reward amount, {"points": 100, "amount": 5} (Winback).',
  },
] as const;

/** metafieldsSet takes at most 25 metafields per call. */
export const METAFIELDS_PER_CALL = 25;

/**
 * Creates the three definitions with storefront read access (without a definition granting
 * PUBLIC_READ the theme cannot read app-owned metafields). Idempotent: "already taken" is success.
 */
export async function ensureLoyaltyDefinitions(client: AdminClient): Promise<{ created: number; existing: number }> {
  let created = 0;
  let existing = 0;
  for (const d of LOYALTY_DEFINITIONS) {
    const res = await createMetafieldDefinition(client, {
      namespace: LOYALTY_NAMESPACE,
      key: d.key,
      type: d.type,
      name: d.name,
      description: d.description,
      ownerType: d.ownerType,
      access: { storefront: "PUBLIC_READ" },
    });
    const errs = res.ok ? [] : res.userErrors;
    if (errs.length && errs.every((e) => e.code === "TAKEN" || e.code === "UNSTRUCTURED_ALREADY_EXISTS")) existing++;
    else {
      assertNoUserErrors(errs, `metafieldDefinitionCreate ${d.key}`);
      created++;
    }
  }
  return { created, existing };
}

/** The rate as published (anything else in the metafield is replaced). */
const PublishedRate = z.object({ points: z.number(), amount: z.number() });

/**
 * Publishes the redemption rate as the shop metafield `$app:loyalty.reward`, which the banner reads,
 * unless it already holds that rate (the points sync runs after every order; this costs one read).
 */
export async function publishRewardRate(client: AdminClient, rate: RedemptionRate): Promise<boolean> {
  const value = { points: rate.points, amount: rate.value };
  const current = await readShopMetafield(client, { namespace: LOYALTY_NAMESPACE, key: "reward" });
  const had = PublishedRate.safeParse(current.jsonValue);
  if (had.success && had.data.points === value.points && had.data.amount === value.amount) return false;
  const res = await setMetafields(client, [
    { ownerId: current.shopId, namespace: LOYALTY_NAMESPACE, key: "reward", type: "json", value: JSON.stringify(value) },
  ]);
  requireOk(res, "metafieldsSet reward");
  return true;
}

export interface LoyaltyValues {
  balance: number;
  expiring: number;
  expireAt: Date | null;
}

export function loyaltyValues(row: LedgerRow, settings: PointsSettings, now: Date): LoyaltyValues {
  const state = stateFromRows([row], settings);
  const next = nextExpiry(state, row.customerId, now);
  return { balance: balanceOf(state, row.customerId, now), expiring: next?.points ?? 0, expireAt: next?.expiresAt ?? null };
}

type Field = "balance" | "expiring" | "expireAt";
interface SetInput {
  customerId: string;
  field: Field;
  input: { ownerId: string; namespace: string; key: string; type: string; value: string };
}
interface DeleteInput {
  customerId: string;
  input: { ownerId: string; namespace: string; key: string };
}

/** Which values differ from what Shopify was last given (a never-written value counts as different). */
export function changedFields(row: LedgerRow, v: LoyaltyValues): { set: Field[]; deleteExpireAt: boolean } {
  const set: Field[] = [];
  if (row.syncedBalance === null || row.syncedBalance !== v.balance) set.push("balance");
  if (row.syncedExpiring === null || row.syncedExpiring !== v.expiring) set.push("expiring");
  const synced = row.syncedExpireAt?.getTime() ?? null;
  const want = v.expireAt?.getTime() ?? null;
  if (want !== null && (row.syncedAt === null || synced !== want)) set.push("expireAt");
  return { set, deleteExpireAt: want === null && synced !== null };
}

export interface MetafieldSyncResult {
  customersChanged: number;
  metafieldsSet: number;
  metafieldsDeleted: number;
  calls: number;
  failed: Array<{ customerId: string; message: string }>;
  /** Whether the values went out as one bulk mutation. */
  bulk: boolean;
}

/**
 * Writes the loyalty metafields of customers whose values changed since the last sync, 25 per
 * metafieldsSet call (the shared client waits out throttling), or as one bulk mutation from
 * BULK_THRESHOLD metafields on, and records what was written after each call, so a killed job
 * resumes where it stopped. An element Shopify rejects (e.g. a customer
 * deleted in Shopify) is reported and left for the next run; the rest of its batch is retried.
 */
export interface MetafieldSyncDeps {
  sql: Sql;
  client: AdminClient;
  now: Date;
  /** For the bulk path: staged upload and result download, polling. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  bulkPollMs?: number;
}

/** From this many metafields on, one bulk mutation replaces the per-25 calls (~100 calls). */
export const BULK_THRESHOLD = 2500;

export async function syncLoyaltyMetafields(
  deps: MetafieldSyncDeps,
  shop: string,
  opts: { perCall?: number; bulkThreshold?: number; pageSize?: number } = {},
): Promise<MetafieldSyncResult> {
  const settings = ledgerSettings(await loadPointsSettings(deps.sql, shop));
  const result: MetafieldSyncResult = { customersChanged: 0, metafieldsSet: 0, metafieldsDeleted: 0, calls: 0, failed: [], bulk: false };
  // Pages of customers keep memory flat on large shops (each row carries its lots).
  let after: string | undefined;
  for (;;) {
    const rows = await loadLedgerRows(deps.sql, shop, { after, limit: opts.pageSize ?? 5000 });
    if (!rows.length) break;
    await syncPage(deps, shop, rows, settings, opts, result);
    after = rows[rows.length - 1]!.customerId;
  }
  if (result.failed.length)
    console.warn(`[points] ${shop}: ${result.failed.length} loyalty metafields rejected by Shopify`, result.failed.slice(0, 5));
  return result;
}

async function syncPage(
  deps: MetafieldSyncDeps,
  shop: string,
  rows: LedgerRow[],
  settings: PointsSettings,
  opts: { perCall?: number; bulkThreshold?: number },
  result: MetafieldSyncResult,
) {
  const perCall = Math.min(opts.perCall ?? METAFIELDS_PER_CALL, METAFIELDS_PER_CALL);
  const sets: SetInput[] = [];
  const deletes: DeleteInput[] = [];
  const values = new Map<string, LoyaltyValues>();
  for (const row of rows) {
    const v = loyaltyValues(row, settings, deps.now);
    const c = changedFields(row, v);
    if (!c.set.length && !c.deleteExpireAt) continue;
    result.customersChanged++;
    values.set(row.customerId, v);
    const ownerId = customerGid(row.customerId);
    for (const f of c.set) {
      const def = f === "balance" ? LOYALTY_DEFINITIONS[0] : f === "expiring" ? LOYALTY_DEFINITIONS[1] : LOYALTY_DEFINITIONS[2];
      const value = f === "balance" ? String(v.balance) : f === "expiring" ? String(v.expiring) : v.expireAt!.toISOString();
      sets.push({
        customerId: row.customerId,
        field: f,
        input: { ownerId, namespace: LOYALTY_NAMESPACE, key: def.key, type: def.type, value },
      });
    }
    if (c.deleteExpireAt)
      deletes.push({ customerId: row.customerId, input: { ownerId, namespace: LOYALTY_NAMESPACE, key: "points_expire_at" } });
  }

  let batches: SetInput[][] = [];
  for (let i = 0; i < sets.length; i += perCall) batches.push(sets.slice(i, i + perCall));
  const record = (batch: SetInput[]) =>
    recordSynced(
      deps.sql,
      shop,
      batch.map((b) => ({ customerId: b.customerId, field: b.field, v: values.get(b.customerId)! })),
      deps.now,
    );

  if (sets.length >= (opts.bulkThreshold ?? BULK_THRESHOLD)) {
    // Thousands of changes: one bulk mutation instead of N/25 throttled calls.
    result.bulk = true;
    result.calls += 3;
    const rejected = await metafieldsSetInBulk(
      { client: deps.client, fetch: deps.fetch, sleep: deps.sleep, pollMs: deps.bulkPollMs },
      shop,
      batches.map((b) => b.map((x) => x.input)),
    );
    const again: SetInput[] = [];
    for (let i = 0; i < batches.length; i++) {
      const bad = rejected.get(i);
      if (!bad) {
        result.metafieldsSet += batches[i]!.length;
        await record(batches[i]!);
        continue;
      }
      // metafieldsSet is atomic: the line wrote nothing. Rejected elements are reported, the rest re-sent.
      batches[i]!.forEach((b, k) => {
        if (bad.has(k)) result.failed.push({ customerId: b.customerId, message: bad.get(k)! });
        else again.push(b);
      });
    }
    batches = [];
    for (let i = 0; i < again.length; i += perCall) batches.push(again.slice(i, i + perCall));
  }

  for (let batch of batches) {
    while (batch.length) {
      result.calls++;
      const res = await setMetafields(
        deps.client,
        batch.map((b) => b.input),
      );
      if (res.ok) break;
      const errs = res.userErrors;
      const bad = new Set(errs.map((e) => e.elementIndex).filter((x): x is number => typeof x === "number"));
      if (!bad.size) assertNoUserErrors(errs, "metafieldsSet");
      for (const idx of bad)
        result.failed.push({
          customerId: batch[idx]!.customerId,
          message: errs
            .filter((e) => e.elementIndex === idx)
            .map((e) => e.message)
            .join("; "),
        });
      batch = batch.filter((_, k) => !bad.has(k));
    }
    if (!batch.length) continue;
    result.metafieldsSet += batch.length;
    await record(batch);
  }
  for (let i = 0; i < deletes.length; i += perCall) {
    const batch = deletes.slice(i, i + perCall);
    result.calls++;
    requireOk(
      await deleteMetafields(
        deps.client,
        batch.map((b) => b.input),
      ),
      "metafieldsDelete",
    );
    result.metafieldsDeleted += batch.length;
    await recordSynced(
      deps.sql,
      shop,
      batch.map((b) => ({ customerId: b.customerId, field: "expireAt" as const, v: values.get(b.customerId)! })),
      deps.now,
    );
  }
}

async function recordSynced(sql: Sql, shop: string, written: Array<{ customerId: string; field: Field; v: LoyaltyValues }>, now: Date) {
  const byCustomer = new Map<string, { customerId: string; b: number | null; e: number | null; setAt: boolean; at: string | null }>();
  for (const w of written) {
    const x = byCustomer.get(w.customerId) ?? { customerId: w.customerId, b: null, e: null, setAt: false, at: null };
    if (w.field === "balance") x.b = w.v.balance;
    if (w.field === "expiring") x.e = w.v.expiring;
    if (w.field === "expireAt") {
      x.setAt = true;
      x.at = w.v.expireAt?.toISOString() ?? null;
    }
    byCustomer.set(w.customerId, x);
  }
  await recordSyncedValues(sql, shop, [...byCustomer.values()], now);
}

/**
 * Points turned off (ADR 079): deletes every loyalty metafield the app wrote, customer by customer
 * (only those Shopify was given values for, so a shop that never turned points on costs no call),
 * then (`reward`: points were on before) the shop's reward rate, so the storefront banner has
 * nothing left to show. What was deleted
 * is forgotten after each call, so a killed job resumes where it stopped.
 */
export async function clearLoyaltyMetafields(
  deps: { sql: Sql; client: AdminClient },
  shop: string,
  opts: { reward: boolean },
): Promise<{ customers: number; calls: number }> {
  const keys = ["points_balance", "points_expiring", "points_expire_at"] as const;
  const perCall = Math.floor(METAFIELDS_PER_CALL / keys.length);
  let customers = 0;
  let calls = 0;
  for (;;) {
    const batch = await customersWithStorefrontValues(deps.sql, shop, null, perCall);
    if (!batch.length) break;
    const ids = batch.flatMap((c) => keys.map((key) => ({ ownerId: customerGid(c.customerId), namespace: LOYALTY_NAMESPACE, key })));
    calls++;
    requireOk(await deleteMetafields(deps.client, ids), "metafieldsDelete");
    await forgetStorefrontValues(
      deps.sql,
      shop,
      batch.map((c) => c.customerId),
    );
    customers += batch.length;
  }
  if (opts.reward) {
    const reward = await readShopMetafield(deps.client, { namespace: LOYALTY_NAMESPACE, key: "reward" });
    calls++;
    if (reward.jsonValue !== null && reward.jsonValue !== undefined) {
      calls++;
      requireOk(
        await deleteMetafields(deps.client, [{ ownerId: reward.shopId, namespace: LOYALTY_NAMESPACE, key: "reward" }]),
        "metafieldsDelete reward",
      );
    }
  }
  return { customers, calls };
}
