import { describe, expect, it } from "vitest";
import { parseBulkLine } from "../../app/shopify/bulk/records";
import { jsonlLineBatches } from "../../app/shopify/jsonl/lines";
import { throttleWaitMs, assertNoUserErrors } from "../../app/shopify/graphql-client";
import { openDatabase } from "../../app/db/open";
import type { AdminClient } from "../../app/shopify/graphql-client";
import type { SyncDeps } from "../../app/sync/context";
import { ingestBulkOperation } from "../../app/sync/ingest";
import { runFinalizer } from "../../app/sync/finalize";
import { loadSyncStatus } from "../../app/sync/status";

async function* chunksOf(text: string, size: number) {
  const b = new TextEncoder().encode(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function collect(text: string, size: number) {
  const out: string[] = [];
  for await (const batch of jsonlLineBatches(chunksOf(text, size))) out.push(...batch);
  return out;
}

const order = (n: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Order/${n}`,
    name: `#${n}`,
    processedAt: "2026-01-01T00:00:00Z",
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-02T00:00:00Z",
    cancelledAt: null,
    test: false,
    displayFinancialStatus: "PAID",
    currentTotalPriceSet: { shopMoney: { amount: "10.50", currencyCode: "EUR" } },
    totalPriceSet: { shopMoney: { amount: "10.50" } },
    discountCodes: [],
    customer: { id: "gid://shopify/Customer/9" },
    ...over,
  });
const line = (n: number, parent: number) =>
  JSON.stringify({
    id: `gid://shopify/LineItem/${n}`,
    quantity: 1,
    product: { id: "gid://shopify/Product/1", productType: "Mug", vendor: "Acme", title: "Mug ☕" },
    variant: { id: "gid://shopify/ProductVariant/2" },
    originalUnitPriceSet: { shopMoney: { amount: "10.50", currencyCode: "EUR" } },
    __parentId: `gid://shopify/Order/${parent}`,
  });
const customer = (n: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Customer/${n}`,
    firstName: "Zoë",
    lastName: null,
    tags: ["a"],
    updatedAt: "2026-01-01T00:00:00Z",
    defaultEmailAddress: { emailAddress: "z@example.com", marketingState: "SUBSCRIBED" },
    defaultPhoneNumber: null,
    ...over,
  });

describe("JSONL splitting", () => {
  it("splits across any chunk size, keeps multi-byte characters split between chunks, handles CRLF and no final newline", async () => {
    const text = `${line(1, 1)}\r\n${order(1)}\n{"x":"€é😀"}\n${customer(9)}`;
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      const lines = await collect(text, size);
      expect(lines).toHaveLength(4);
      expect(JSON.parse(lines[2]!).x).toBe("€é😀");
      expect(JSON.parse(lines[0]!).product.title).toBe("Mug ☕");
    }
  });
});

describe("bulk line parsing", () => {
  it("accepts the documented shapes and flattens them", () => {
    expect(parseBulkLine(order(5))).toMatchObject({
      ok: true,
      record: { kind: "order", id: "5", customerId: "9", currency: "EUR", currentTotal: "10.50" },
    });
    expect(parseBulkLine(line(7, 5))).toMatchObject({
      ok: true,
      record: { kind: "line", id: "7", orderId: "5", productId: "1", variantId: "2", productType: "Mug" },
    });
    expect(parseBulkLine(customer(9))).toMatchObject({
      ok: true,
      record: { kind: "customer", id: "9", email: "z@example.com", emailConsent: "SUBSCRIBED", smsConsent: null, phone: null },
    });
    expect(
      parseBulkLine(customer(9, { defaultPhoneNumber: { phoneNumber: "+14155550123", marketingState: "NOT_SUBSCRIBED" } })),
    ).toMatchObject({
      ok: true,
      record: { phone: "+14155550123", smsConsent: "NOT_SUBSCRIBED" },
    });
    expect(parseBulkLine(order(6, { customer: null }))).toMatchObject({ ok: true, record: { customerId: null } });
  });
  it("rejects malformed lines with a reason", () => {
    expect(parseBulkLine(`{"id": "gid://shopify/Order/1", `)).toMatchObject({ ok: false, error: expect.stringMatching(/invalid JSON/) });
    expect(parseBulkLine(order(1, { processedAt: "yesterday" }))).toMatchObject({ ok: false, error: expect.stringMatching(/processedAt/) });
    expect(parseBulkLine(order(1, { currentTotalPriceSet: { shopMoney: { amount: 10 } } }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/amount/),
    });
    expect(parseBulkLine(`{"id":"gid://shopify/LineItem/3","quantity":1}`)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/__parentId/),
    });
    expect(parseBulkLine(`{"id":"gid://shopify/Refund/3"}`)).toMatchObject({ ok: false, error: expect.stringMatching(/unknown object/) });
    expect(parseBulkLine(`[1]`)).toMatchObject({ ok: false });
    expect(parseBulkLine(customer(9, { defaultPhoneNumber: { phoneNumber: 14155550123 } }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/defaultPhoneNumber\.phoneNumber/),
    });
  });
  it("takes only well-formed GIDs of the expected type", () => {
    for (const bad of [
      "gid://shopify/Order/",
      "gid://shopify/Order/12a",
      "gid://shopify/Order/1/2",
      "gid://shopify/Orders/1",
      "gid://shopify/Order",
      "gid://other/Order/1",
      "Order/1",
    ]) {
      expect(parseBulkLine(order(1, { id: bad })), bad).toMatchObject({ ok: false });
    }
    expect(parseBulkLine(order(1, { customer: { id: "gid://shopify/Order/9" } }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/customer/),
    });
    expect(parseBulkLine(line(7, 5).replace("gid://shopify/ProductVariant/2", "gid://shopify/ProductVariant/x"))).toMatchObject({
      ok: false,
    });
    // eslint-disable-next-line no-loss-of-precision -- a numeric id above 2^53 must not be what the record keeps
    expect(parseBulkLine(order(12345678901234567890 as never, { id: "gid://shopify/Order/12345678901234567890" }))).toMatchObject({
      ok: true,
      record: { id: "12345678901234567890" },
    });
  });
});

describe("client helpers", () => {
  it("throttle wait restores the requested cost from the bucket's restore rate", () => {
    expect(throttleWaitMs({ maximumAvailable: 2000, currentlyAvailable: 100, restoreRate: 100 }, 500)).toBe(4050);
    expect(throttleWaitMs({ maximumAvailable: 2000, currentlyAvailable: 900, restoreRate: 100 }, 500)).toBe(50);
  });
  it("assertNoUserErrors lists every entry", () => {
    expect(() =>
      assertNoUserErrors(
        [
          { field: ["query"], message: "bad", code: "INVALID" },
          { field: null, message: "limit" },
        ],
        "bulk",
      ),
    ).toThrow(/bulk: query: bad \(INVALID\); limit/);
  });
});

describe("ingestion of a hand-made result (children before and after parents, malformed lines)", () => {
  it("stages everything regardless of order, counts malformed lines with their line numbers, merges once", async () => {
    const db = openDatabase({});
    await db.ready();
    const shop = "jsonl.myshopify.com";
    const file =
      [
        line(11, 1), // child before its parent
        order(1),
        order(2),
        "{not json",
        line(12, 1), // child of an earlier parent, after another parent
        line(21, 2),
        order(3, { updatedAt: "nope" }),
        line(31, 3), // orphan: its parent line was malformed -> never merged
        "",
        order(4, { customer: null }),
      ].join("\n") + "\n";
    const fakeClient: AdminClient = {
      shop,
      request: async () =>
        ({
          bulkOperation: {
            id: "gid://shopify/BulkOperation/1",
            status: "COMPLETED",
            errorCode: null,
            objectCount: "10",
            rootObjectCount: "4",
            fileSize: String(Buffer.byteLength(file)),
            url: "https://storage.example/file.jsonl",
            partialDataUrl: null,
          },
        }) as never,
    };
    const deps: SyncDeps = {
      sql: db.sql,
      client: async () => fakeClient,
      queue: { send: async () => null },
      finalize: runFinalizer,
      batchLines: 3,
      fetch: (async () => new Response(file)) as typeof fetch,
    };
    await db.sql.query(`INSERT INTO "SyncRun" (id, shop, "updatedAt") VALUES ('r1', $1, now())`, [shop]);
    await db.sql.query(
      `INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource) VALUES ('gid://shopify/BulkOperation/1', 'r1', $1, 'orders')`,
      [shop],
    );
    expect(await ingestBulkOperation(deps, "gid://shopify/BulkOperation/1")).toBe("ingested");
    const orders = await db.sql.query<any>(`SELECT id::text FROM "Order" ORDER BY id`);
    expect(orders.map((o) => o.id)).toEqual(["1", "2", "4"]);
    const lines = await db.sql.query<any>(`SELECT id::text, "orderId"::text FROM "OrderLine" ORDER BY id`);
    expect(lines).toEqual([
      { id: "11", orderId: "1" },
      { id: "12", orderId: "1" },
      { id: "21", orderId: "2" },
    ]);
    const st = await loadSyncStatus(db.sql, shop);
    expect(st.state).toBe("completed");
    expect(st.malformed.count).toBe(2);
    expect(st.malformed.samples.map((s) => s.line)).toEqual([4, 7]);
    expect(st.malformed.samples[1]!.error).toMatch(/updatedAt/);
    expect((await db.sql.query<any>(`SELECT "orderCount", "totalSpent"::text s FROM "Customer" WHERE id = 9`))[0]).toEqual({
      orderCount: 2,
      s: "21.00",
    });
    await db.close();
  });
});
