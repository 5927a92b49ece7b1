import type { Sql } from "../db/sql";
import type { CustomerRecord, LineRecord, OrderRecord } from "../shopify/bulk/records";
import { qualifyingOrder } from "./orders-sql";

/**
 * The sync's SQL, identical on PGlite and PostgreSQL. Bulk rows go in as one statement per batch
 * and table: column arrays through `unnest` (a handful of parameters however many rows), which is
 * far cheaper to bind and plan than a VALUES list with tens of thousands of placeholders.
 *
 * Every write into the live tables is "newest wins" on `updatedAt`: a row is only replaced by a
 * version at least as new, so bulk merges, deltas and webhooks can arrive in any order.
 */

// Timestamps arrive as ISO 8601 with an offset (GraphQL: Z; REST webhooks: -05:00). Columns are
// UTC `timestamp(3)` as Prisma writes them: convert through timestamptz, never drop the offset.
const ts = (col: string) => `(${col}::timestamptz AT TIME ZONE 'UTC')`;
// Fast path: GraphQL always answers in UTC ("...Z"); such a value parses straight into a UTC
// timestamp (PostgreSQL ignores the zone designator), skipping the time zone conversion.
const tsOrUtc = (col: string, allUtc: boolean) => (allUtc ? `${col}::timestamp` : ts(col));
function allUtc<T>(rows: T[], keys: Array<keyof T>): boolean {
  for (let i = 0; i < rows.length; i++) {
    for (let k = 0; k < keys.length; k++) {
      const v = rows[i]![keys[k]!] as unknown;
      if (v != null && (typeof v !== "string" || v.charCodeAt(v.length - 1) !== 90 /* Z */)) return false;
    }
  }
  return true;
}
const SEP = "\u001f"; // joins string lists (discount codes, tags) into one array element
const list = (col: string) => `CASE WHEN ${col} IS NULL OR ${col} = '' THEN ARRAY[]::text[] ELSE string_to_array(${col}, chr(31)) END`;

export async function stageOrders(tx: Sql, runId: string, shop: string, rows: OrderRecord[]) {
  if (!rows.length) return;
  const c = columns(rows, ["id", "customerId", "name", "processedAt", "createdAt", "updatedAt", "cancelledAt", "test", "financialStatus", "currentTotal", "totalPrice", "currency"]);
  const utc = allUtc(rows, ["processedAt", "createdAt", "updatedAt", "cancelledAt"]);
  const t = (col: string) => tsOrUtc(col, utc);
  await tx.query(
    `INSERT INTO "SyncStageOrder" ("runId", shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes")
     SELECT $1, $2, u.id, u.cid, u.name, ${t("u.p")}, ${t("u.c")}, ${t("u.up")}, ${t("u.ca")}, u.test, u.fs, u.cur, u.tot, u.ccy, ${list("u.dc")}
     FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::numeric[], $13::numeric[], $14::text[], $15::text[])
       AS u(id, cid, name, p, c, up, ca, test, fs, cur, tot, ccy, dc)
     ON CONFLICT ("runId", id) DO NOTHING`,
    [runId, shop, ...c, rows.map((r) => r.discountCodes.join(SEP))],
  );
}

export async function stageLines(tx: Sql, runId: string, shop: string, rows: LineRecord[]) {
  if (!rows.length) return;
  const c = columns(rows, ["id", "orderId", "productId", "variantId", "productTitle", "productType", "vendor", "quantity", "unitPrice"]);
  await tx.query(
    `INSERT INTO "SyncStageOrderLine" ("runId", shop, id, "orderId", "productId", "variantId", "productTitle", "productType", vendor, quantity, "unitPrice")
     SELECT $1, $2, u.* FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::int[], $11::numeric[]) AS u
     ON CONFLICT ("runId", id) DO NOTHING`,
    [runId, shop, ...c],
  );
}

export async function stageCustomers(tx: Sql, runId: string, shop: string, rows: CustomerRecord[]) {
  if (!rows.length) return;
  const c = columns(rows, ["id", "email", "firstName", "lastName", "emailConsent", "smsConsent", "updatedAt"]);
  await tx.query(
    `INSERT INTO "SyncStageCustomer" ("runId", shop, id, email, "firstName", "lastName", "emailConsent", "smsConsent", "updatedAt", tags)
     SELECT $1, $2, u.id, u.email, u.fn, u.ln, u.ec, u.sc, ${tsOrUtc("u.up", allUtc(rows, ["updatedAt"]))}, ${list("u.tags")}
     FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS u(id, email, fn, ln, ec, sc, up, tags)
     ON CONFLICT ("runId", id) DO NOTHING`,
    [runId, shop, ...c, rows.map((r) => r.tags.join(SEP))],
  );
}

function columns<T extends object>(rows: T[], keys: Array<keyof T>): unknown[][] {
  const out = keys.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let k = 0; k < keys.length; k++) out[k]![i] = r[keys[k]!];
  }
  return out;
}

export interface MergeCounts {
  orders: number;
  customers: number;
}

/**
 * Moves a run's staged rows into the live tables and refreshes the aggregates, all inside the
 * caller's transaction: the app sees the whole sync or none of it. `replaceLines` (complete delta
 * results only) also drops lines an edited order no longer has.
 */
export async function mergeStaged(tx: Sql, runId: string, shop: string, opts: { replaceLines: boolean; allCustomers: boolean }): Promise<MergeCounts> {
  // Fresh statistics: without them the planner takes the just-filled staging tables for empty.
  await tx.exec(`ANALYZE "SyncStageOrder"; ANALYZE "SyncStageOrderLine"; ANALYZE "SyncStageCustomer"`);
  const customers = await tx.query<{ n: number }>(
    `WITH m AS (
       INSERT INTO "Customer" AS c (shop, id, email, "firstName", "lastName", tags, "emailConsent", "smsConsent", "updatedAt")
       SELECT shop, id, email, "firstName", "lastName", tags, "emailConsent", "smsConsent", "updatedAt" FROM "SyncStageCustomer" WHERE "runId" = $1
       ON CONFLICT (shop, id) DO UPDATE SET email = excluded.email, "firstName" = excluded."firstName", "lastName" = excluded."lastName",
         tags = excluded.tags, "emailConsent" = excluded."emailConsent", "smsConsent" = excluded."smsConsent", "updatedAt" = excluded."updatedAt"
       WHERE c."updatedAt" IS NULL OR excluded."updatedAt" >= c."updatedAt"
       RETURNING 1)
     SELECT count(*)::int AS n FROM m`,
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
       INSERT INTO "Order" AS o (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes")
       SELECT shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal", "totalPrice", currency, "discountCodes"
       FROM "SyncStageOrder" WHERE "runId" = $1
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
  const orders = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM sync_won`);
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
    `INSERT INTO "OrderLine" AS l (shop, id, "orderId", "productId", "variantId", "productTitle", "productType", vendor, quantity, "unitPrice")
     SELECT sl.shop, sl.id, sl."orderId", sl."productId", sl."variantId", sl."productTitle", sl."productType", sl.vendor, sl.quantity, sl."unitPrice"
     FROM "SyncStageOrderLine" sl JOIN sync_won w ON w.id = sl."orderId"
     WHERE sl."runId" = $1
     ON CONFLICT (shop, id) DO UPDATE SET "orderId" = excluded."orderId", "productId" = excluded."productId", "variantId" = excluded."variantId",
       "productTitle" = excluded."productTitle", "productType" = excluded."productType", vendor = excluded.vendor, quantity = excluded.quantity,
       "unitPrice" = excluded."unitPrice"`,
    [runId],
  );
  await tx.exec(`ANALYZE "Order"`);
  if (opts.allCustomers) await refreshAggregates(tx, shop, null);
  else await refreshAggregatesOfRun(tx, runId, shop);
  return { orders: orders[0]?.n ?? 0, customers: customers[0]?.n ?? 0 };
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

async function refreshAggregatesOfRun(tx: Sql, runId: string, shop: string) {
  await tx.query(AGG_UPDATE(`AND c.id IN (SELECT "customerId" FROM "SyncStageOrder" WHERE "runId" = $2 AND "customerId" IS NOT NULL)`), [shop, runId]);
}
