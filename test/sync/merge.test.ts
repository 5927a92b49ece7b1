import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../app/db/sql";
import type { CustomerRecord, LineRecord, OrderRecord } from "../../app/shopify/bulk/records";
import { mergeStaged, stageCustomers, stageLines, stageOrders } from "../../app/sync/store/staging";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

// The two merges (a shop's first sync: plain inserts; otherwise: upserts) must leave the same
// tables behind, and the staged COPY text must carry every awkward value through unchanged.

const order = (id: number, o: Partial<OrderRecord> = {}): OrderRecord => ({
  kind: "order",
  id: String(id),
  customerId: "501",
  name: `#${id}`,
  processedAt: "2025-03-01T10:00:00Z",
  createdAt: "2025-03-01T09:59:00Z",
  updatedAt: "2025-03-02T00:00:00Z",
  cancelledAt: null,
  test: false,
  financialStatus: "PAID",
  currentTotal: "40.00",
  totalPrice: "40.00",
  currency: "USD",
  discountCodes: [],
  ...o,
});
const line = (id: number, orderId: number, o: Partial<LineRecord> = {}): LineRecord => ({
  kind: "line",
  id: String(id),
  orderId: String(orderId),
  productId: "77",
  variantId: "78",
  productTitle: "Mug",
  productType: "Kitchen",
  vendor: "Acme",
  quantity: 1,
  unitPrice: "20.00",
  ...o,
});
const customer = (id: number, o: Partial<CustomerRecord> = {}): CustomerRecord => ({
  kind: "customer",
  id: String(id),
  email: `c${id}@example.com`,
  firstName: "Ada",
  lastName: "Lovelace",
  phone: null,
  tags: [],
  emailConsent: "SUBSCRIBED",
  smsConsent: null,
  updatedAt: "2025-03-01T00:00:00Z",
  ...o,
});

const ORDERS = [
  order(1001, { discountCodes: ["WELCOME10", "tab\there", "back\\slash", "line\nbreak"], name: "Ünïcødé #1001" }),
  // REST-style offset: 10:00 at -05:00 is 15:00 UTC
  order(1002, {
    processedAt: "2025-04-01T10:00:00-05:00",
    createdAt: "2025-04-01T10:00:00-05:00",
    updatedAt: "2025-04-01T10:00:00.123-05:00",
    currentTotal: "15.50",
    totalPrice: "30.00",
  }),
  order(1003, { cancelledAt: "2025-04-03T00:00:00Z", currentTotal: "0.00" }),
  order(1004, { test: true }),
  order(1005, { customerId: "999", financialStatus: null, name: null }), // customer missing from the export
  order(1006, { customerId: null }), // guest
];
const LINES = [
  line(2001, 1001, { productTitle: 'Tea\tcup \\ "best"' }),
  line(2002, 1001, { productId: null, variantId: null, productTitle: null, productType: null, vendor: null }),
  line(2003, 1002),
  line(2004, 4242 /* parent never staged */),
];
const CUSTOMERS = [
  customer(501, { tags: ["vip", "has,comma", "tab\tag"], firstName: "Zoë\\", phone: "+44 20 7946 0958" }),
  customer(502, { updatedAt: null, email: null, tags: [] }),
];

async function stage(sql: Sql, runId: string, shop: string, orders = ORDERS) {
  await sql.transaction(async (tx) => {
    await stageOrders(tx, runId, shop, orders);
    await stageLines(tx, runId, shop, LINES);
    await stageCustomers(tx, runId, shop, CUSTOMERS);
  });
}

async function merge(sql: Sql, runId: string, shop: string) {
  return sql.transaction((tx) => mergeStaged(tx, runId, shop, { replaceLines: false, initial: true }));
}

async function snapshot(sql: Sql, shop: string) {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const orders = await sql.query<any>(
    `SELECT id::text, "customerId"::text, name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus", "currentTotal"::text, "totalPrice"::text, currency, "discountCodes" FROM "Order" WHERE shop = $1 ORDER BY id`,
    [shop],
  );
  const lines = await sql.query<any>(
    `SELECT id::text, "orderId"::text, "productId"::text, "variantId"::text, "productTitle", "productType", vendor, quantity, "unitPrice"::text FROM "OrderLine" WHERE shop = $1 ORDER BY id`,
    [shop],
  );
  const customers = await sql.query<any>(
    `SELECT id::text, email, "firstName", "lastName", phone, tags, "emailConsent", "smsConsent", "updatedAt", "orderCount", "totalSpent"::text, "firstOrderAt", "lastOrderAt" FROM "Customer" WHERE shop = $1 AND id <> 1 ORDER BY id`,
    [shop],
  );
  return {
    orders: orders.map((o) => ({
      ...o,
      processedAt: iso(o.processedAt),
      createdAt: iso(o.createdAt),
      updatedAt: iso(o.updatedAt),
      cancelledAt: iso(o.cancelledAt),
    })),
    lines,
    customers: customers.map((c) => ({
      ...c,
      updatedAt: iso(c.updatedAt),
      firstOrderAt: iso(c.firstOrderAt),
      lastOrderAt: iso(c.lastOrderAt),
    })),
  };
}

describe.each(databaseKinds)("merging a staged sync on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("a shop's first sync (plain inserts) and the upserting merge leave identical tables; awkward values survive COPY", async () => {
    const sql = t.db.sql;
    await stage(sql, "run-a", "a.myshopify.com");
    expect(await merge(sql, "run-a", "a.myshopify.com")).toBe("empty-shop");
    // Shop b already has customers, so its merge upserts; 501's older version must be overwritten
    // (the ON CONFLICT update list), not merely inserted, to end up equal to shop a.
    await sql.query(`INSERT INTO "Customer" (shop, id) VALUES ('b.myshopify.com', 1)`);
    await sql.query(
      `INSERT INTO "Customer" (shop, id, email, phone, "updatedAt") VALUES ('b.myshopify.com', 501, 'old@example.com', '+1 555 0100', '2024-01-01')`,
    );
    await stage(sql, "run-b", "b.myshopify.com");
    expect(await merge(sql, "run-b", "b.myshopify.com")).toBe("upsert");

    const a = await snapshot(sql, "a.myshopify.com");
    expect(await snapshot(sql, "b.myshopify.com")).toEqual(a);

    expect(a.orders.map((o) => o.id)).toEqual(["1001", "1002", "1003", "1004", "1005", "1006"]);
    expect(a.orders[0]).toMatchObject({ name: "Ünïcødé #1001", discountCodes: ["WELCOME10", "tab\there", "back\\slash", "line\nbreak"] });
    expect(a.orders[1]).toMatchObject({
      processedAt: "2025-04-01T15:00:00.000Z",
      updatedAt: "2025-04-01T15:00:00.123Z",
      currentTotal: "15.50",
    });
    expect(a.orders[4]).toMatchObject({ name: null, financialStatus: null, customerId: "999" });
    expect(a.lines.map((l) => l.id)).toEqual(["2001", "2002", "2003"]); // 2004's parent was never staged
    expect(a.lines[0].productTitle).toBe('Tea\tcup \\ "best"');
    expect(a.lines[1]).toMatchObject({ productId: null, productTitle: null, vendor: null });
    expect(a.customers).toEqual([
      // 1001 and 1002 qualify; 1003 is cancelled, 1004 a test
      {
        id: "501",
        email: "c501@example.com",
        firstName: "Zoë\\",
        lastName: "Lovelace",
        phone: "+44 20 7946 0958",
        tags: ["vip", "has,comma", "tab\tag"],
        emailConsent: "SUBSCRIBED",
        smsConsent: null,
        updatedAt: "2025-03-01T00:00:00.000Z",
        orderCount: 2,
        totalSpent: "55.50",
        firstOrderAt: "2025-03-01T10:00:00.000Z",
        lastOrderAt: "2025-04-01T15:00:00.000Z",
      },
      {
        id: "502",
        email: null,
        firstName: "Ada",
        lastName: "Lovelace",
        phone: null,
        tags: [],
        emailConsent: "SUBSCRIBED",
        smsConsent: null,
        updatedAt: null,
        orderCount: 0,
        totalSpent: "0.00",
        firstOrderAt: null,
        lastOrderAt: null,
      },
      // a stub for the customer the export lacked, with its aggregate
      {
        id: "999",
        email: null,
        firstName: null,
        lastName: null,
        phone: null,
        tags: [],
        emailConsent: null,
        smsConsent: null,
        updatedAt: null,
        orderCount: 1,
        totalSpent: "40.00",
        firstOrderAt: "2025-03-01T10:00:00.000Z",
        lastOrderAt: "2025-03-01T10:00:00.000Z",
      },
    ]);
  });

  it("an order the export repeats sends the first-sync merge back to the upsert, which keeps the newest version once", async () => {
    const sql = t.db.sql;
    const orders = [
      ...ORDERS,
      order(1001, { updatedAt: "2025-05-01T00:00:00Z", currentTotal: "35.00" }),
      order(1001, { updatedAt: "2025-01-01T00:00:00Z", currentTotal: "1.00" }),
    ];
    await stage(sql, "run-c", "c.myshopify.com", orders);
    expect(await merge(sql, "run-c", "c.myshopify.com")).toBe("upsert");
    const c = await snapshot(sql, "c.myshopify.com");
    expect(c.orders.filter((o) => o.id === "1001")).toEqual([
      expect.objectContaining({ currentTotal: "35.00", updatedAt: "2025-05-01T00:00:00.000Z" }),
    ]);
    expect(c.customers.find((x) => x.id === "501")).toMatchObject({ orderCount: 2, totalSpent: "50.50" });
    // nothing of the abandoned first attempt is left behind
    expect((await sql.query<{ n: number }>(`SELECT count(*)::int n FROM "Order" WHERE shop = 'c.myshopify.com'`))[0]!.n).toBe(6);
  });
});
