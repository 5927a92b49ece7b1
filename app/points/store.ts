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
import { ledgerSettings, parsePointsAppSettings, type PointsAppSettings } from "./settings";

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

interface OrderRow {
  id: string;
  customerId: string | null;
  processedAt: Date;
  updatedAt: Date;
  cancelled: boolean;
  test: boolean;
  currentTotal: string;
}
interface RedemptionRow {
  id: string;
  customerId: string;
  points: number;
  value: string;
  createdAt: Date;
}

const asDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));

/** The facts (as domain events) of some customers; pass `null` for the whole shop. */
export async function loadFacts(sql: Sql, shop: string, customerIds: string[] | null): Promise<PointsEvent[]> {
  const filter = customerIds ? `AND "customerId" = ANY($2::bigint[])` : `AND "customerId" IS NOT NULL`;
  const params = customerIds ? [shop, customerIds] : [shop];
  const orders = await sql.query<OrderRow>(
    `SELECT id::text AS id, "customerId"::text AS "customerId", "processedAt", "updatedAt", ("cancelledAt" IS NOT NULL) AS cancelled, test, "currentTotal"::text AS "currentTotal"
     FROM "Order" WHERE shop = $1 ${filter}`,
    params,
  );
  const redemptions = await sql.query<RedemptionRow>(
    `SELECT id, "customerId"::text AS "customerId", points, value::text AS value, "createdAt"
     FROM "PointsRedemption" WHERE shop = $1 AND status IN ('pending', 'issued') ${filter}`,
    params,
  );
  const events: PointsEvent[] = orders.map((o) => ({
    type: "order",
    orderId: o.id,
    customerId: o.customerId,
    at: asDate(o.processedAt),
    updatedAt: asDate(o.updatedAt),
    currentTotal: Number(o.currentTotal),
    cancelled: o.cancelled,
    test: o.test,
  }));
  for (const r of redemptions) {
    events.push({ type: "redeem", redemptionId: r.id, customerId: r.customerId, points: r.points, at: asDate(r.createdAt), value: Number(r.value) });
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
export async function recomputeCustomers(tx: Sql, shop: string, customerIds: string[], settings: PointsSettings, now: Date): Promise<PointsState> {
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
    const prev = await tx.query<{ customerId: string }>(`SELECT "customerId"::text AS "customerId" FROM "PointsLedger" WHERE shop = $1 AND $2::bigint = ANY("orderIds")`, [shop, orderId]);
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
  await tx.query(`SELECT 1 FROM "PointsLedger" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "customerId" FOR UPDATE`, [shop, sorted]);
}

/** Full rebuild after a sync: every customer with facts or a row, in chunks (one transaction each). */
export async function rebuildShopLedger(sql: Sql, shop: string, now: Date, chunk = 2000): Promise<{ customers: number }> {
  const settings = ledgerSettings(await loadPointsSettings(sql, shop));
  const all = await sql.query<{ id: string }>(
    `SELECT DISTINCT "customerId"::text AS id FROM "Order" WHERE shop = $1 AND "customerId" IS NOT NULL
     UNION SELECT "customerId"::text FROM "PointsRedemption" WHERE shop = $1
     UNION SELECT "customerId"::text FROM "PointsLedger" WHERE shop = $1`,
    [shop],
  );
  const ids = all.map((r) => r.id).sort();
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
  const lots = (typeof r.lots === "string" ? (JSON.parse(r.lots) as StoredLot[]) : r.lots).map((l) => ({ ...l, earnedAt: new Date(l.earnedAt), expiresAt: new Date(l.expiresAt) }));
  return {
    ...r,
    lots,
    nextExpiryAt: r.nextExpiryAt ? asDate(r.nextExpiryAt) : null,
    syncedExpireAt: r.syncedExpireAt ? asDate(r.syncedExpireAt) : null,
    syncedAt: r.syncedAt ? asDate(r.syncedAt) : null,
  };
}

const LEDGER_COLUMNS = `"customerId"::text AS "customerId", balance, "nextExpiryAt", "nextExpiryPoints", lots, "syncedBalance", "syncedExpiring", "syncedExpireAt", "syncedAt"`;

export async function loadLedgerRows(sql: Sql, shop: string, opts: { customerIds?: string[]; expiringBefore?: Date; after?: string; limit?: number } = {}): Promise<LedgerRow[]> {
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
  const rows = await sql.query<RawLedgerRow>(`SELECT ${LEDGER_COLUMNS} FROM "PointsLedger" WHERE shop = $1${where} ORDER BY "customerId"${limit}`, params);
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
    state.customers[r.customerId] = { customerId: r.customerId, orderIds: [], redemptionIds: [], adjustmentIds: [], lots: r.lots, burns: [], unrecovered: 0 };
  }
  return state;
}
