import { isUniqueViolation, type Sql } from "../../db/sql";
import type { CustomerRecord, LineRecord, OrderRecord } from "../../shopify/bulk/records";
import { qualifyingOrder } from "./qualifying";
import {
  CUSTOMER_COLUMNS,
  customerRows,
  LINE_COLUMNS,
  lineRows,
  LIVE_LINE_COLUMNS,
  LIVE_ORDER_COLUMNS,
  ORDER_COLUMNS,
  orderRows,
  stagedHead,
  type RenderedBatch,
} from "./rows";

/**
 * The sync's SQL, identical on PGlite and PostgreSQL (docs/decisions/050 and 051).
 *
 * Staging is loaded with COPY: one text buffer per batch and table, which PostgreSQL parses
 * several times faster than bound INSERT parameters. The text is rendered by rows.ts (no SQL, so
 * the parse workers can run it); this file writes it. Staged timestamps are timestamptz, so an
 * offset (REST webhooks: -05:00; GraphQL: Z) is kept; the merge converts them to the live tables'
 * UTC `timestamp(3)`.
 *
 * Every write into the live tables is "newest wins" on `updatedAt`: a row is only replaced by a
 * version at least as new, so bulk merges, deltas and webhooks can arrive in any order. (A shop's
 * first sync inserts plainly: nothing is there to win against, and a unique violation means
 * something arrived meanwhile, which sends it to the upserting merge.)
 */

const list = (col: string) => `CASE WHEN ${col} = '' THEN ARRAY[]::text[] ELSE string_to_array(${col}, chr(31)) END`;
const utc = (col: string) => `(${col} AT TIME ZONE 'UTC')`;

/**
 * Stages one batch rendered by rows.ts (on a parse worker, app/sync/download/worker.ts, or for a
 * test in-thread): this only writes the ready COPY text.
 */
export async function stageRows(tx: Sql, rows: Pick<RenderedBatch, "orders" | "lines" | "customers">) {
  // Where row-level security applies, the Sql's copyFrom goes through a temp table (app/db/sql.ts).
  if (rows.orders) await tx.copyFrom("SyncStageOrder", ORDER_COLUMNS, rows.orders);
  if (rows.lines) await tx.copyFrom("SyncStageOrderLine", LINE_COLUMNS, rows.lines);
  if (rows.customers) await tx.copyFrom("SyncStageCustomer", CUSTOMER_COLUMNS, rows.customers);
}

export async function stageOrders(tx: Sql, runId: string, shop: string, rows: OrderRecord[]) {
  await stageRows(tx, { orders: orderRows(rows, stagedHead(runId, shop)), lines: "", customers: "" });
}

export async function stageLines(tx: Sql, runId: string, shop: string, rows: LineRecord[]) {
  await stageRows(tx, { orders: "", lines: lineRows(rows, stagedHead(runId, shop)), customers: "" });
}

export async function stageCustomers(tx: Sql, runId: string, shop: string, rows: CustomerRecord[]) {
  await stageRows(tx, { orders: "", lines: "", customers: customerRows(rows, stagedHead(runId, shop)) });
}

/**
 * Moves a run's staged rows into the live tables and refreshes the aggregates, all inside the
 * caller's transaction: the app sees the whole sync or none of it. `replaceLines` (complete delta
 * results only) also drops lines an edited order no longer has; `initial` recomputes every
 * customer's aggregates (a delta only those of its orders).
 */
export async function mergeStaged(
  tx: Sql,
  runId: string,
  shop: string,
  opts: { replaceLines: boolean; initial: boolean },
): Promise<"empty-shop" | "upsert"> {
  // Fresh statistics: without them the planner takes the just-filled staging tables for empty.
  await tx.exec(`ANALYZE "SyncStageOrder"; ANALYZE "SyncStageOrderLine"; ANALYZE "SyncStageCustomer"`);
  // Room for the merge's sorts and hash joins in memory instead of temporary files, and no JIT
  // compilation for statements that run once (this transaction only).
  await tx.exec(`SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`);
  if (opts.initial && (await shopIsEmpty(tx, shop))) {
    await tx.exec(`SAVEPOINT winback_merge_empty_shop`);
    try {
      await mergeIntoEmptyShop(tx, runId);
      await tx.exec(`RELEASE SAVEPOINT winback_merge_empty_shop; ANALYZE "Order"`);
      return "empty-shop";
    } catch (e) {
      // A row written meanwhile (a webhook on another connection) or an id the export repeated:
      // the upserting merge below handles both.
      if (!isUniqueViolation(e)) throw e;
      await tx.exec(`ROLLBACK TO SAVEPOINT winback_merge_empty_shop`);
    }
  }
  await mergeByUpsert(tx, runId, shop, opts);
  return "upsert";
}

export async function shopIsEmpty(tx: Sql, shop: string): Promise<boolean> {
  const r = await tx.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM "Order" WHERE shop = $1) AND NOT EXISTS (SELECT 1 FROM "OrderLine" WHERE shop = $1)
       AND NOT EXISTS (SELECT 1 FROM "Customer" WHERE shop = $1) AS empty`,
    [shop],
  );
  return r[0]?.empty ?? false;
}

const STAGED_ORDER = (alias: string, shop = `${alias}.shop`) =>
  `${shop}, ${alias}.id, ${alias}."customerId", ${alias}.name, ${utc(`${alias}."processedAt"`)}, ${utc(`${alias}."createdAt"`)}, ${utc(`${alias}."updatedAt"`)}, ${utc(`${alias}."cancelledAt"`)},
   ${alias}.test, ${alias}."financialStatus", ${alias}."currentTotal", ${alias}."totalPrice", ${alias}.currency, ${list(`${alias}."discountCodes"`)}`;
const ORDER_TARGET = `"Order" AS o (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes")`;
const STAGED_LINE = (shop = "sl.shop") =>
  `${shop}, sl.id, sl."orderId", sl."productId", sl."variantId", sl."productTitle", sl."productType", sl.vendor, sl.quantity, sl."unitPrice"`;
const LINE_TARGET = `"OrderLine" AS l (shop, id, "orderId", "productId", "variantId", "productTitle", "productType", vendor, quantity, "unitPrice")`;
const STAGED_CUSTOMER = `sc.email, sc."firstName", sc."lastName", sc.phone, coalesce(${list("sc.tags")}, ARRAY[]::text[]), sc."emailConsent", sc."smsConsent", ${utc('sc."updatedAt"')}`;
const CUSTOMER_TARGET = `"Customer" AS c (shop, id, email, "firstName", "lastName", phone, tags, "emailConsent", "smsConsent", "updatedAt"`;

/**
 * A shop's first sync (nothing of the shop in the live tables): plain INSERTs, no conflict checks,
 * no "won" bookkeeping, and the aggregates computed from the staged orders while the customers are
 * written — about half the work of the upserting merge. Any unique violation (a concurrent webhook,
 * a repeated id) aborts it and the caller falls back to the upserting merge.
 */
async function mergeIntoEmptyShop(tx: Sql, runId: string) {
  // Rows go in key order: B-tree inserts then mostly append instead of touching random pages.
  await tx.query(`INSERT INTO ${ORDER_TARGET} SELECT ${STAGED_ORDER("so")} FROM "SyncStageOrder" so WHERE so."runId" = $1 ORDER BY so.id`, [
    runId,
  ]);
  // Lines whose parent is not staged (cut off in partial data, or malformed) are dropped.
  await tx.query(
    `INSERT INTO ${LINE_TARGET} SELECT ${STAGED_LINE()} FROM "SyncStageOrderLine" sl
     WHERE sl."runId" = $1 AND EXISTS (SELECT 1 FROM "SyncStageOrder" so WHERE so."runId" = $1 AND so.id = sl."orderId")
     ORDER BY sl."orderId", sl.id`,
    [runId],
  );
  await insertCustomersWithAggregates(tx, runId, { from: `"SyncStageOrder" so WHERE so."runId" = $1`, ts: utc });
}

/**
 * Every exported customer plus any customer an order points at that the export lacked (deleted, or
 * created after the customer query ran): the aggregate needs a row to live in. `orders` names the
 * orders to aggregate (staged, or already in "Order") and how to read their timestamps.
 */
async function insertCustomersWithAggregates(
  tx: Sql,
  runId: string,
  orders: { from: string; ts: (col: string) => string },
  params: unknown[] = [],
) {
  const q = qualifyingOrder("so");
  await tx.query(
    `INSERT INTO ${CUSTOMER_TARGET}, "orderCount", "totalSpent", "firstOrderAt", "lastOrderAt")
     SELECT coalesce(sc.shop, a.shop), coalesce(sc.id, a.id), ${STAGED_CUSTOMER}, coalesce(a.n, 0), coalesce(a.s, 0), a.f, a.l
     FROM (SELECT * FROM "SyncStageCustomer" WHERE "runId" = $1) sc
     FULL JOIN (
       SELECT so.shop, so."customerId" AS id, (count(*) FILTER (WHERE ${q}))::int AS n, coalesce(sum(so."currentTotal") FILTER (WHERE ${q}), 0) AS s,
         min(${orders.ts('so."processedAt"')}) FILTER (WHERE ${q}) AS f, max(${orders.ts('so."processedAt"')}) FILTER (WHERE ${q}) AS l
       FROM ${orders.from} AND so."customerId" IS NOT NULL
       GROUP BY so.shop, so."customerId") a ON a.id = sc.id
     ORDER BY 2`,
    [runId, ...params],
  );
}

/**
 * Direct load (docs/decisions/051, 097): a shop's first sync, on PostgreSQL, when the orders export is
 * the run's last: its batches are COPYed straight into the live tables inside one transaction that
 * stays open for the whole download and closes the run. Invisible until it commits, like the staged
 * path, but the merge's work happens while the file is still being parsed. The parse workers render
 * the live tables' own forms (rows.ts, target "live": shop column, UTC timestamps, array literals),
 * so PostgreSQL parses each row once, with no temp table and no INSERT … SELECT behind it.
 */
export async function beginDirectLoad(tx: Sql) {
  // The closing statements (customers with their aggregates over the loaded orders) sort and hash
  // in memory; each runs once, so compiling it would cost more than it saves.
  await tx.exec(`SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`);
}

/**
 * One batch of a direct load, rendered by rows.ts for the live target. Plain COPY: the shop had
 * nothing when the transaction began, and a row written by anyone else since (a webhook), or an id
 * the export repeats, is a unique violation that sends the caller back to the staged path.
 */
export async function loadDirectRows(tx: Sql, rows: Pick<RenderedBatch, "orders" | "lines">) {
  if (rows.orders) await tx.copyFrom("Order", LIVE_ORDER_COLUMNS, rows.orders);
  if (rows.lines) await tx.copyFrom("OrderLine", LIVE_LINE_COLUMNS, rows.lines);
}

/**
 * Ends a direct load: drops lines whose order never came (only possible when a line of the file was
 * malformed or the data is partial), then writes the customers with their aggregates.
 */
export async function finishDirectLoad(tx: Sql, runId: string, shop: string, opts: { dropOrphanLines: boolean }) {
  if (opts.dropOrphanLines) {
    await tx.query(
      `DELETE FROM "OrderLine" l WHERE l.shop = $1 AND NOT EXISTS (SELECT 1 FROM "Order" o WHERE o.shop = $1 AND o.id = l."orderId")`,
      [shop],
    );
  }
  await tx.exec(`ANALYZE "SyncStageCustomer"; ANALYZE "Order"`);
  await insertCustomersWithAggregates(tx, runId, { from: `"Order" so WHERE so.shop = $2`, ts: (c) => c }, [shop]);
}

/**
 * The general merge: upserts, newest version wins. The export may hold a row twice only if Shopify
 * repeats it; DISTINCT ON keeps one (the newest) so no upsert touches a row twice.
 */
async function mergeByUpsert(tx: Sql, runId: string, shop: string, opts: { replaceLines: boolean; initial: boolean }) {
  await lockCustomersOfRun(tx, runId, shop, opts.initial);
  await tx.query(
    `INSERT INTO ${CUSTOMER_TARGET})
     SELECT DISTINCT ON (sc.id) sc.shop, sc.id, ${STAGED_CUSTOMER} FROM "SyncStageCustomer" sc WHERE sc."runId" = $1
     ORDER BY sc.id, sc."updatedAt" DESC NULLS LAST
     ON CONFLICT (shop, id) DO UPDATE SET email = excluded.email, "firstName" = excluded."firstName", "lastName" = excluded."lastName",
       phone = excluded.phone, tags = excluded.tags, "emailConsent" = excluded."emailConsent", "smsConsent" = excluded."smsConsent", "updatedAt" = excluded."updatedAt"
     WHERE c."updatedAt" IS NULL OR excluded."updatedAt" >= c."updatedAt"`,
    [runId],
  );
  // Customers an order points at but the customer query did not return (deleted, or a delta that
  // only saw the order): keep a stub so the aggregate has a row to live in.
  await tx.query(
    `INSERT INTO "Customer" (shop, id) SELECT DISTINCT $2::text, "customerId" FROM "SyncStageOrder" WHERE "runId" = $1 AND "customerId" IS NOT NULL
     ON CONFLICT (shop, id) DO NOTHING`,
    [runId, shop],
  );
  // Orders whose staged version became the live one ("won") take their lines; an order already
  // newer in the live table (a webhook during the sync) keeps its own.
  await tx.exec(`CREATE TEMP TABLE IF NOT EXISTS sync_won (id bigint PRIMARY KEY) ON COMMIT DROP; TRUNCATE sync_won`);
  await tx.query(
    `WITH m AS (
       INSERT INTO ${ORDER_TARGET}
       SELECT DISTINCT ON (so.id) ${STAGED_ORDER("so")} FROM "SyncStageOrder" so WHERE so."runId" = $1 ORDER BY so.id, so."updatedAt" DESC
       ON CONFLICT (shop, id) DO UPDATE SET "customerId" = excluded."customerId", name = excluded.name, "processedAt" = excluded."processedAt",
         "createdAt" = excluded."createdAt", "updatedAt" = excluded."updatedAt", "cancelledAt" = excluded."cancelledAt", test = excluded.test,
         "financialStatus" = excluded."financialStatus", "currentTotal" = excluded."currentTotal", "totalPrice" = excluded."totalPrice",
         currency = excluded.currency, "discountCodes" = excluded."discountCodes"
       WHERE excluded."updatedAt" >= o."updatedAt"
       RETURNING id)
     INSERT INTO sync_won SELECT id FROM m`,
    [runId],
  );
  await tx.exec(`ANALYZE sync_won`);
  if (opts.replaceLines) {
    // Complete delta results only: lines an edited order no longer has go away.
    await tx.query(
      `DELETE FROM "OrderLine" ol USING sync_won w
       WHERE ol.shop = $2 AND ol."orderId" = w.id
         AND NOT EXISTS (SELECT 1 FROM "SyncStageOrderLine" sl WHERE sl."runId" = $1 AND sl.id = ol.id)`,
      [runId, shop],
    );
  }
  // Lines whose parent is not staged (cut off in partial data, or malformed) are dropped.
  await tx.query(
    `INSERT INTO ${LINE_TARGET}
     SELECT DISTINCT ON (sl.id) ${STAGED_LINE()} FROM "SyncStageOrderLine" sl JOIN sync_won w ON w.id = sl."orderId"
     WHERE sl."runId" = $1 ORDER BY sl.id, sl."orderId"
     ON CONFLICT (shop, "orderId", id) DO UPDATE SET "productId" = excluded."productId", "variantId" = excluded."variantId",
       "productTitle" = excluded."productTitle", "productType" = excluded."productType", vendor = excluded.vendor, quantity = excluded.quantity,
       "unitPrice" = excluded."unitPrice"`,
    [runId],
  );
  await tx.exec(`ANALYZE "Order"`);
  if (opts.initial) {
    // Customers created (by a webhook) since the first lock: lock them too before the refresh
    // reads the orders, so its snapshot includes whatever their writers committed.
    await tx.query(`SELECT count(*) FROM (SELECT 1 FROM "Customer" WHERE shop = $1 ORDER BY id FOR UPDATE) l`, [shop]);
    await refreshAggregates(tx, shop, null);
  } else await refreshAggregatesOfRun(tx, shop);
}

/**
 * The merge and live order webhooks (app/sync/live.ts) recompute the same customers' aggregates.
 * Each locks the customers it will recompute first, in id order, before writing any order: the
 * later one then waits for the earlier to commit and counts its orders. A delta locks the
 * customers of its staged orders, the ones those orders belonged to until now (an order moved to
 * another customer changes both) and its staged customers; an initial merge every customer of the
 * shop. The affected ids are kept (sync_affected) for the refresh at the end.
 */
async function lockCustomersOfRun(tx: Sql, runId: string, shop: string, initial: boolean) {
  if (initial) {
    await tx.query(`SELECT count(*) FROM (SELECT 1 FROM "Customer" WHERE shop = $1 ORDER BY id FOR UPDATE) l`, [shop]);
    return;
  }
  await tx.exec(`CREATE TEMP TABLE IF NOT EXISTS sync_affected (id bigint PRIMARY KEY) ON COMMIT DROP; TRUNCATE sync_affected`);
  await tx.query(
    `INSERT INTO sync_affected
     SELECT "customerId" FROM "SyncStageOrder" WHERE "runId" = $1 AND "customerId" IS NOT NULL
     UNION SELECT o."customerId" FROM "Order" o JOIN "SyncStageOrder" so ON so."runId" = $1 AND so.id = o.id WHERE o.shop = $2 AND o."customerId" IS NOT NULL
     UNION SELECT id FROM "SyncStageCustomer" WHERE "runId" = $1`,
    [runId, shop],
  );
  await tx.query(
    `SELECT count(*) FROM (SELECT 1 FROM "Customer" c JOIN sync_affected a ON a.id = c.id WHERE c.shop = $1 ORDER BY c.id FOR UPDATE OF c) l`,
    [shop],
  );
}

export async function clearStaged(sql: Sql, runId: string) {
  // Usually this run is the only one staged: TRUNCATE is far cheaper than deleting millions of
  // rows. The exclusive lock (held to commit, taken last) keeps other runs' batches out meanwhile.
  await sql.exec(`LOCK TABLE "SyncStageOrderLine", "SyncStageOrder", "SyncStageCustomer" IN ACCESS EXCLUSIVE MODE`);
  const others = await sql.query(
    `SELECT 1 FROM "SyncStageOrder" WHERE "runId" <> $1 UNION ALL SELECT 1 FROM "SyncStageOrderLine" WHERE "runId" <> $1 UNION ALL SELECT 1 FROM "SyncStageCustomer" WHERE "runId" <> $1 LIMIT 1`,
    [runId],
  );
  if (!others.length) {
    await sql.exec(`TRUNCATE "SyncStageOrderLine", "SyncStageOrder", "SyncStageCustomer"`);
    return;
  }
  await sql.query(`DELETE FROM "SyncStageOrderLine" WHERE "runId" = $1`, [runId]);
  await sql.query(`DELETE FROM "SyncStageOrder" WHERE "runId" = $1`, [runId]);
  await sql.query(`DELETE FROM "SyncStageCustomer" WHERE "runId" = $1`, [runId]);
}

/** A qualifying order: not a test, not cancelled; its value is the current total (after refunds). */
const QUALIFYING = `${qualifyingOrder()} AND "customerId" IS NOT NULL`;

const AGG_UPDATE = (filter: string) => `
  WITH agg AS (
    SELECT "customerId" AS id, count(*)::int AS n, sum("currentTotal") AS s, min("processedAt") AS f, max("processedAt") AS l
    FROM "Order" WHERE shop = $1 AND ${QUALIFYING} ${filter.replace(/\bc\.id\b/g, '"customerId"')}
    GROUP BY "customerId"),
  target AS (
    SELECT c.id, coalesce(agg.n, 0) AS n, coalesce(agg.s, 0) AS s, agg.f, agg.l
    FROM "Customer" c LEFT JOIN agg ON agg.id = c.id
    WHERE c.shop = $1 ${filter})
  UPDATE "Customer" c SET "orderCount" = t.n, "totalSpent" = t.s, "firstOrderAt" = t.f, "lastOrderAt" = t.l
  FROM target t
  WHERE c.shop = $1 AND c.id = t.id
    AND (c."orderCount" IS DISTINCT FROM t.n OR c."totalSpent" IS DISTINCT FROM t.s OR c."firstOrderAt" IS DISTINCT FROM t.f OR c."lastOrderAt" IS DISTINCT FROM t.l)`;

/** Recomputes orderCount / totalSpent / firstOrderAt / lastOrderAt set-based (null = every customer). */
export async function refreshAggregates(tx: Sql, shop: string, customerIds: string[] | null) {
  if (customerIds === null) {
    await tx.query(AGG_UPDATE(""), [shop]);
    return;
  }
  if (!customerIds.length) return;
  await tx.query(AGG_UPDATE(`AND c.id = ANY($2::bigint[])`), [shop, customerIds]);
}

/** The delta merge's customers (sync_affected, until the merge's transaction ends), for the features' onOrdersWritten. */
export async function changedCustomersOfRun(tx: Sql): Promise<string[]> {
  return (await tx.query<{ id: string }>(`SELECT id::text AS id FROM sync_affected`)).map((r) => r.id);
}

/** The delta's customers (sync_affected, filled before the merge wrote anything). */
async function refreshAggregatesOfRun(tx: Sql, shop: string) {
  await tx.query(AGG_UPDATE(`AND c.id IN (SELECT id FROM sync_affected)`), [shop]);
}

/** How many orders and customers a run staged (the run's outcome counts). */
export async function stagedCounts(tx: Sql, runId: string): Promise<{ orders: number; customers: number }> {
  return (
    await tx.query<{ orders: number; customers: number }>(
      `SELECT (SELECT count(*)::int FROM "SyncStageOrder" WHERE "runId" = $1) AS orders, (SELECT count(*)::int FROM "SyncStageCustomer" WHERE "runId" = $1) AS customers`,
      [runId],
    )
  )[0]!;
}

/** How many customers a run staged (a direct load counts its orders itself). */
export async function stagedCustomerCount(tx: Sql, runId: string): Promise<number> {
  return (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM "SyncStageCustomer" WHERE "runId" = $1`, [runId]))[0]?.n ?? 0;
}
