import type { Sql } from "../db/sql";
import {
  customerPointsSummary,
  emptyPointsState,
  rebuild,
  type CustomerLedger,
  type Lot,
  type PointsEvent,
  type PointsSettings,
  type PointsState,
} from "../domain/points";
import { loadSettingsSection } from "../shop-settings.server";
import { earnFromOf, ledgerSettings, parsePointsAppSettings, type PointsAppSettings } from "./settings";
import { customerIdsWithOrders, ordersOfCustomers } from "../sync/store/purchases";

/**
 * Persistence of the points ledger. The facts are the synced `Order` table and `PointsRedemption`
 * (pending or issued; a failed redemption is no fact). A customer's ledger is a pure function of
 * their facts (app/domain/points deriveLedger), so the live path (one order changed) and the full
 * rebuild (after a sync) both recompute whole customers from the database through the domain's
 * `rebuild`, and give what applying the webhooks one by one gives (ADR 031, ADR 073).
 * `PointsLedger` materialises the result: summary columns for queries, the lots for at-risk
 * figures and nudges, and the metafield values last written to Shopify.
 */

export async function loadPointsSettings(sql: Sql, shop: string): Promise<PointsAppSettings> {
  return loadSettingsSection(sql, shop, "points", parsePointsAppSettings);
}

interface RedemptionFactRow {
  id: string;
  customerId: string;
  points: number;
  value: string;
  createdAt: Date;
}

const asDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));

/**
 * The facts (as domain events) of some customers; pass `null` for the whole shop. Orders come from
 * the sync's store; orders processed before `earnFrom` (points turned on "from today") are no facts.
 */
export async function loadFacts(sql: Sql, shop: string, customerIds: string[] | null): Promise<PointsEvent[]> {
  const earnFrom = earnFromOf(await loadPointsSettings(sql, shop));
  const filter = customerIds ? `AND "customerId" = ANY($2::bigint[])` : `AND "customerId" IS NOT NULL`;
  const params = customerIds ? [shop, customerIds] : [shop];
  const orders = await ordersOfCustomers(sql, shop, customerIds);
  const redemptions = await sql.query<RedemptionFactRow>(
    `SELECT id, "customerId"::text AS "customerId", points, value::text AS value, "createdAt"
     FROM "PointsRedemption" WHERE shop = $1 AND status IN ('pending', 'issued') ${filter}`,
    params,
  );
  const events: PointsEvent[] = [];
  for (const o of orders) {
    const at = asDate(o.processedAt);
    if (earnFrom && at.getTime() < earnFrom.getTime()) continue;
    events.push({
      type: "order",
      orderId: o.id,
      customerId: o.customerId,
      at,
      updatedAt: asDate(o.updatedAt),
      currentTotal: Number(o.currentTotal),
      cancelled: o.cancelled,
      test: o.test,
    });
  }
  for (const r of redemptions) {
    events.push({
      type: "redeem",
      redemptionId: r.id,
      customerId: r.customerId,
      points: r.points,
      at: asDate(r.createdAt),
      value: Number(r.value),
    });
  }
  return events;
}

interface StoredLot {
  lotId: string;
  source: Lot["source"];
  sourceId: string;
  earnedAt: string;
  expiresAt: string;
  points: number;
  burned: number;
}

const storeLots = (lots: Lot[]): StoredLot[] =>
  lots.map((l) => ({ ...l, earnedAt: l.earnedAt.toISOString(), expiresAt: l.expiresAt.toISOString() }));

/**
 * Recomputes these customers from their facts and writes their ledger rows, in the caller's
 * transaction. Customers left with no facts keep a zero row if Shopify has values for them (the
 * metafield sync must overwrite those), otherwise their row goes.
 */
export async function recomputeCustomers(
  tx: Sql,
  shop: string,
  customerIds: string[],
  settings: PointsSettings,
  now: Date,
): Promise<PointsState> {
  const ids = [...new Set(customerIds)];
  if (!ids.length) return emptyPointsState(settings);
  const state = rebuild(await loadFacts(tx, shop, ids), settings);
  const rows = ids.map((cid) => {
    const l: CustomerLedger | undefined = state.customers[cid];
    const s = customerPointsSummary(state, cid, now);
    return {
      customerId: cid,
      has: !!l,
      balance: s.balance,
      earned: s.earned,
      burned: s.burned,
      unrecovered: s.unrecovered,
      nextExpiryAt: s.nextExpiry?.expiresAt.toISOString() ?? null,
      nextExpiryPoints: s.nextExpiry?.points ?? 0,
      lots: storeLots(l?.lots ?? []),
      orderIds: l?.orderIds ?? [],
    };
  });
  await tx.query(
    `INSERT INTO "PointsLedger" AS p (shop, "customerId", balance, earned, burned, unrecovered, "nextExpiryAt", "nextExpiryPoints", lots, "orderIds", "computedAt")
     SELECT $1, x."customerId"::bigint, x.balance, x.earned, x.burned, x.unrecovered, (x."nextExpiryAt"::timestamptz AT TIME ZONE 'UTC'), x."nextExpiryPoints", x.lots,
            ARRAY(SELECT jsonb_array_elements_text(x."orderIds"))::bigint[], $3::timestamptz AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($2::jsonb) AS x("customerId" text, balance int, earned int, burned int, unrecovered int, "nextExpiryAt" text, "nextExpiryPoints" int, lots jsonb, "orderIds" jsonb)
     ON CONFLICT (shop, "customerId") DO UPDATE SET balance = excluded.balance, earned = excluded.earned, burned = excluded.burned,
       unrecovered = excluded.unrecovered, "nextExpiryAt" = excluded."nextExpiryAt", "nextExpiryPoints" = excluded."nextExpiryPoints",
       lots = excluded.lots, "orderIds" = excluded."orderIds", "computedAt" = excluded."computedAt"`,
    [shop, JSON.stringify(rows.filter((r) => r.has)), now.toISOString()],
  );
  const gone = rows.filter((r) => !r.has).map((r) => r.customerId);
  if (gone.length) {
    await tx.query(`DELETE FROM "PointsLedger" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) AND "syncedAt" IS NULL`, [shop, gone]);
    await tx.query(
      `UPDATE "PointsLedger" SET balance = 0, earned = 0, burned = 0, unrecovered = 0, "nextExpiryAt" = NULL, "nextExpiryPoints" = 0, lots = '[]', "orderIds" = ARRAY[]::bigint[],
         "computedAt" = $3::timestamptz AT TIME ZONE 'UTC'
       WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`,
      [shop, gone, now.toISOString()],
    );
  }
  return state;
}

/** Live path: an order changed; its customer and any customer it was moved away from are recomputed. */
export async function applyOrderChange(sql: Sql, shop: string, orderId: string, customerId: string | null, now: Date): Promise<string[]> {
  const settings = ledgerSettings(await loadPointsSettings(sql, shop));
  return sql.transaction(async (tx) => {
    const prev = await tx.query<{ customerId: string }>(
      `SELECT "customerId"::text AS "customerId" FROM "PointsLedger" WHERE shop = $1 AND $2::bigint = ANY("orderIds")`,
      [shop, orderId],
    );
    const ids = [...new Set([...(customerId ? [customerId] : []), ...prev.map((p) => p.customerId)])];
    await lockLedgerRows(tx, shop, ids);
    await recomputeCustomers(tx, shop, ids, settings, now);
    return ids;
  });
}

/**
 * Serialises writers of one customer's ledger (a webhook and a redemption at once): the row is
 * created if missing, then locked for the rest of the transaction.
 */
export async function lockLedgerRows(tx: Sql, shop: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  const sorted = [...customerIds].sort();
  await tx.query(
    `INSERT INTO "PointsLedger" (shop, "customerId") SELECT $1, unnest($2::bigint[]) ON CONFLICT (shop, "customerId") DO NOTHING`,
    [shop, sorted],
  );
  await tx.query(`SELECT 1 FROM "PointsLedger" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "customerId" FOR UPDATE`, [
    shop,
    sorted,
  ]);
}

/** Full rebuild after a sync: every customer with facts or a row, in chunks (one transaction each). */
export async function rebuildShopLedger(sql: Sql, shop: string, now: Date, chunk = 2000): Promise<{ customers: number }> {
  const settings = ledgerSettings(await loadPointsSettings(sql, shop));
  const own = await sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "PointsRedemption" WHERE shop = $1 UNION SELECT "customerId"::text FROM "PointsLedger" WHERE shop = $1`,
    [shop],
  );
  const ids = [...new Set([...(await customerIdsWithOrders(sql, shop)), ...own.map((r) => r.id)])].sort();
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk);
    await sql.transaction(async (tx) => {
      await lockLedgerRows(tx, shop, part);
      await recomputeCustomers(tx, shop, part, settings, now);
    });
  }
  return { customers: ids.length };
}

export interface LedgerRow {
  customerId: string;
  balance: number;
  nextExpiryAt: Date | null;
  nextExpiryPoints: number;
  lots: Lot[];
  syncedBalance: number | null;
  syncedExpiring: number | null;
  syncedExpireAt: Date | null;
  syncedAt: Date | null;
}

interface RawLedgerRow extends Omit<LedgerRow, "lots"> {
  lots: StoredLot[] | string;
}

function parseRow(r: RawLedgerRow): LedgerRow {
  const lots = (typeof r.lots === "string" ? (JSON.parse(r.lots) as StoredLot[]) : r.lots).map((l) => ({
    ...l,
    earnedAt: new Date(l.earnedAt),
    expiresAt: new Date(l.expiresAt),
  }));
  return {
    ...r,
    lots,
    nextExpiryAt: r.nextExpiryAt ? asDate(r.nextExpiryAt) : null,
    syncedExpireAt: r.syncedExpireAt ? asDate(r.syncedExpireAt) : null,
    syncedAt: r.syncedAt ? asDate(r.syncedAt) : null,
  };
}

const LEDGER_COLUMNS = `"customerId"::text AS "customerId", balance, "nextExpiryAt", "nextExpiryPoints", lots, "syncedBalance", "syncedExpiring", "syncedExpireAt", "syncedAt"`;

export async function loadLedgerRows(
  sql: Sql,
  shop: string,
  opts: { customerIds?: string[]; expiringBefore?: Date; after?: string; limit?: number } = {},
): Promise<LedgerRow[]> {
  const params: unknown[] = [shop];
  let where = "";
  if (opts.customerIds) {
    params.push(opts.customerIds);
    where += ` AND "customerId" = ANY($${params.length}::bigint[])`;
  }
  if (opts.expiringBefore) {
    params.push(opts.expiringBefore.toISOString());
    where += ` AND "nextExpiryAt" <= ($${params.length}::timestamptz AT TIME ZONE 'UTC')`;
  }
  if (opts.after) {
    params.push(opts.after);
    where += ` AND "customerId" > $${params.length}::bigint`;
  }
  let limit = "";
  if (opts.limit) {
    params.push(opts.limit);
    limit = ` LIMIT $${params.length}`;
  }
  const rows = await sql.query<RawLedgerRow>(
    `SELECT ${LEDGER_COLUMNS} FROM "PointsLedger" WHERE shop = $1${where} ORDER BY "customerId"${limit}`,
    params,
  );
  return rows.map(parseRow);
}

/**
 * A read-only PointsState from stored lots, for the domain's queries (balanceOf, nextExpiry,
 * pointsAtRisk, expiryHistogramByWeek, dueNudges), which read only settings and customers' lots.
 */
export function stateFromRows(rows: LedgerRow[], settings: PointsSettings): PointsState {
  const state = emptyPointsState(settings);
  for (const r of rows) {
    if (!r.lots.length) continue;
    state.customers[r.customerId] = {
      customerId: r.customerId,
      orderIds: [],
      redemptionIds: [],
      adjustmentIds: [],
      lots: r.lots,
      burns: [],
      unrecovered: 0,
    };
  }
  return state;
}

/* ---- Redemptions (PointsRedemption) ---- */

export interface RedemptionRow {
  id: string;
  points: number;
  value: string;
  currency: string;
  code: string;
  status: "pending" | "issued" | "failed";
  discountId: string | null;
  createdAt: Date;
}
const REDEMPTION_COLUMNS = `id, points, value::text AS value, currency, code, status, "discountId", "createdAt"`;

/** The customer's redemption under an idempotency key (a replayed request), if any. */
export async function findRedemptionByKey(
  tx: Sql,
  shop: string,
  customerId: string,
  idempotencyKey: string,
): Promise<RedemptionRow | null> {
  const rows = await tx.query<RedemptionRow>(
    `SELECT ${REDEMPTION_COLUMNS} FROM "PointsRedemption" WHERE shop = $1 AND "customerId" = $2 AND "idempotencyKey" = $3`,
    [shop, customerId, idempotencyKey],
  );
  return rows[0] ?? null;
}

/** Records a redemption as pending (a failed one with the same id is retried in place). */
export async function savePendingRedemption(
  tx: Sql,
  r: {
    id: string;
    shop: string;
    customerId: string;
    idempotencyKey: string;
    points: number;
    value: string;
    currency: string;
    code: string;
    at: Date;
  },
): Promise<RedemptionRow> {
  const rows = await tx.query<RedemptionRow>(
    `INSERT INTO "PointsRedemption" (id, shop, "customerId", "idempotencyKey", points, value, currency, code, status, error, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', NULL, $9::timestamptz AT TIME ZONE 'UTC', $9::timestamptz AT TIME ZONE 'UTC')
     ON CONFLICT (id) DO UPDATE SET points = excluded.points, value = excluded.value, status = 'pending', error = NULL, "createdAt" = excluded."createdAt", "updatedAt" = excluded."updatedAt"
     RETURNING ${REDEMPTION_COLUMNS}`,
    [r.id, r.shop, r.customerId, r.idempotencyKey, r.points, r.value, r.currency, r.code, r.at.toISOString()],
  );
  return rows[0]!;
}

/** A pending redemption Shopify refused (or that was abandoned) becomes failed: no longer a ledger fact. */
export async function failRedemption(tx: Sql, id: string, error: string): Promise<void> {
  await tx.query(`UPDATE "PointsRedemption" SET status = 'failed', error = $2, "updatedAt" = now() WHERE id = $1 AND status = 'pending'`, [
    id,
    error.slice(0, 1000),
  ]);
}

/** A pending (or already issued) redemption whose code exists in Shopify is issued. */
export async function issueRedemption(sql: Sql, id: string, discountId: string | null): Promise<RedemptionRow | null> {
  const rows = await sql.query<RedemptionRow>(
    `UPDATE "PointsRedemption" SET status = 'issued', "discountId" = coalesce($2, "discountId"), "updatedAt" = now() WHERE id = $1 AND status IN ('pending', 'issued')
     RETURNING ${REDEMPTION_COLUMNS}`,
    [id, discountId],
  );
  return rows[0] ?? null;
}

/** Pending redemptions last touched before `cutoff` (their request died between the steps). */
export async function staleRedemptions(
  sql: Sql,
  shop: string,
  cutoff: Date,
): Promise<Array<{ id: string; customerId: string; code: string }>> {
  return sql.query(
    `SELECT id, "customerId"::text AS "customerId", code FROM "PointsRedemption" WHERE shop = $1 AND status = 'pending' AND "updatedAt" < ($2::timestamptz AT TIME ZONE 'UTC')`,
    [shop, cutoff.toISOString()],
  );
}

/** Issued redemptions of the shop (the Points page's figures). */
export async function issuedRedemptions(
  sql: Sql,
  shop: string,
): Promise<Array<{ customerId: string; points: number; value: string; createdAt: Date }>> {
  return sql.query(
    `SELECT "customerId"::text AS "customerId", points, value::text AS value, "createdAt" FROM "PointsRedemption" WHERE shop = $1 AND status = 'issued'`,
    [shop],
  );
}

/* ---- Expiry reminders (PointsNudge) ---- */

export interface NudgeRecord {
  customerId: string;
  lotId: string;
  offsetDays: number;
  emailStatus: string | null;
  sentAt: Date;
  expiresAt: Date;
  completedAt: Date | null;
}
const NUDGE_COLUMNS = `"customerId"::text AS "customerId", "lotId", "offsetDays", "emailStatus", "sentAt", "expiresAt", "completedAt"`;

/** Reminders recorded for these customers, or for the whole shop (`null`). */
export async function nudgeRecords(sql: Sql, shop: string, customerIds: string[] | null): Promise<NudgeRecord[]> {
  if (customerIds && !customerIds.length) return [];
  return customerIds
    ? sql.query<NudgeRecord>(`SELECT ${NUDGE_COLUMNS} FROM "PointsNudge" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [
        shop,
        customerIds,
      ])
    : sql.query<NudgeRecord>(`SELECT ${NUDGE_COLUMNS} FROM "PointsNudge" WHERE shop = $1`, [shop]);
}

/** Claims a reminder (once per customer, lot and step) before it goes out. */
export async function claimNudge(
  sql: Sql,
  n: { shop: string; customerId: string; lotId: string; offsetDays: number; points: number; value: string; expiresAt: Date; at: Date },
): Promise<void> {
  await sql.query(
    `INSERT INTO "PointsNudge" (shop, "customerId", "lotId", "offsetDays", points, value, "expiresAt", "sentAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz AT TIME ZONE 'UTC', $8::timestamptz AT TIME ZONE 'UTC')
     ON CONFLICT (shop, "customerId", "lotId", "offsetDays") DO NOTHING`,
    [n.shop, n.customerId, n.lotId, n.offsetDays, n.points, n.value, n.expiresAt.toISOString(), n.at.toISOString()],
  );
}

/** What happened to a claimed reminder; complete unless the email or the Flow trigger failed (then it is due again). */
export async function completeNudge(
  sql: Sql,
  n: { shop: string; customerId: string; lotId: string; offsetDays: number; emailStatus: string; flowStatus: string },
): Promise<void> {
  await sql.query(
    `UPDATE "PointsNudge" SET "emailStatus" = $5, "flowStatus" = $6, "completedAt" = CASE WHEN $5 <> 'failed' AND $6 <> 'failed' THEN now() ELSE NULL END
     WHERE shop = $1 AND "customerId" = $2 AND "lotId" = $3 AND "offsetDays" = $4`,
    [n.shop, n.customerId, n.lotId, n.offsetDays, n.emailStatus, n.flowStatus],
  );
}

/* ---- Storefront values written to Shopify ---- */

/** Records, per customer, the metafield values just written (null: that value was not written this time). */
export async function recordSyncedValues(
  sql: Sql,
  shop: string,
  written: Array<{ customerId: string; b: number | null; e: number | null; setAt: boolean; at: string | null }>,
  now: Date,
): Promise<void> {
  if (!written.length) return;
  await sql.query(
    `UPDATE "PointsLedger" p SET "syncedBalance" = coalesce(x.b, p."syncedBalance"), "syncedExpiring" = coalesce(x.e, p."syncedExpiring"),
       "syncedExpireAt" = CASE WHEN x."setAt" THEN (x.at::timestamptz AT TIME ZONE 'UTC') ELSE p."syncedExpireAt" END,
       "syncedAt" = $3::timestamptz AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($2::jsonb) AS x("customerId" text, b int, e int, "setAt" boolean, at text)
     WHERE p.shop = $1 AND p."customerId" = x."customerId"::bigint`,
    [shop, JSON.stringify(written), now.toISOString()],
  );
}

/** Customers whose storefront values were written to Shopify (turning points off clears them), in pages by id. */
export async function customersWithStorefrontValues(
  sql: Sql,
  shop: string,
  after: string | null,
  limit: number,
): Promise<Array<{ customerId: string; hasExpireAt: boolean }>> {
  return sql.query(
    `SELECT "customerId"::text AS "customerId", ("syncedExpireAt" IS NOT NULL) AS "hasExpireAt" FROM "PointsLedger"
      WHERE shop = $1 AND "syncedAt" IS NOT NULL AND ($2::bigint IS NULL OR "customerId" > $2::bigint) ORDER BY "customerId" LIMIT $3`,
    [shop, after, limit],
  );
}

/** After the storefront values were deleted in Shopify: nothing of theirs is there any more. */
export async function forgetStorefrontValues(sql: Sql, shop: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  await sql.query(
    `UPDATE "PointsLedger" SET "syncedBalance" = NULL, "syncedExpiring" = NULL, "syncedExpireAt" = NULL, "syncedAt" = NULL WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`,
    [shop, customerIds],
  );
}

/* ---- Compliance (GDPR topics, wired by app/compliance.server.ts) ---- */

/** customers/redact: the customers' reminders, redemptions and ledger rows. */
export async function redactPointsCustomers(sql: Sql, shop: string, customerIds: string[]): Promise<void> {
  for (const table of POINTS_TABLES)
    await sql.query(`DELETE FROM "${table}" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
}

/** shop/redact: everything points holds for the shop. */
export async function redactPointsShop(sql: Sql, shop: string): Promise<void> {
  for (const table of POINTS_TABLES) await sql.query(`DELETE FROM "${table}" WHERE shop = $1`, [shop]);
}

/** customers/data_request: the customers' ledger rows, redemptions and reminders as stored. */
export async function exportPointsCustomers(
  sql: Sql,
  shop: string,
  customerIds: string[],
): Promise<Record<(typeof POINTS_TABLES)[number], unknown[]>> {
  const out = {} as Record<(typeof POINTS_TABLES)[number], unknown[]>;
  for (const table of POINTS_TABLES)
    out[table] = await sql.query(`SELECT * FROM "${table}" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
  return out;
}

const POINTS_TABLES = ["PointsNudge", "PointsRedemption", "PointsLedger"] as const;

/** A customer's redemptions (codes asked for through the app proxy), newest first. */
export async function redemptionsOfCustomer(
  sql: Sql,
  shop: string,
  customerId: string,
): Promise<Array<{ id: string; points: number; value: string; currency: string; code: string; status: string; createdAt: Date }>> {
  const rows = await sql.query<{
    id: string;
    points: number;
    value: string;
    currency: string;
    code: string;
    status: string;
    createdAt: Date;
  }>(
    `SELECT id, points, value::text AS value, currency, code, status, "createdAt" FROM "PointsRedemption" WHERE shop = $1 AND "customerId" = $2::bigint ORDER BY "createdAt" DESC, id`,
    [shop, customerId],
  );
  return rows.map((r) => ({ ...r, points: Number(r.points), createdAt: new Date(r.createdAt) }));
}
