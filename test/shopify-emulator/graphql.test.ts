import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, exchange, gql, start } from "./helpers";

describe("Admin GraphQL against the 2026-10 schema", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  beforeAll(async () => {
    ({ emu, clock } = await start());
    await emu.addShop(SHOP, { seed: 3, customers: 200, years: 2 });
    token = (await exchange(emu)).body.access_token;
  });
  afterAll(() => emu.stop());

  it("answers the app's ShopOverview query with counts in the 2026-10 Count shape", async () => {
    const { body } = await gql(
      emu,
      token,
      `query ShopOverview { shop { id name myshopifyDomain currencyCode ianaTimezone email plan { publicDisplayName } }
      ordersCount(limit: null) { count precision } customersCount(limit: null) { count precision } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.shop.myshopifyDomain).toBe(SHOP);
    expect(body.data.ordersCount).toEqual({ count: emu.shop(SHOP).orderCount(), precision: "EXACT" });
    expect(body.data.customersCount.count).toBe(200);
    expect(body.extensions.cost.requestedQueryCost).toBe(4);
    const limited = await gql(emu, token, `{ ordersCount(limit: 5) { count precision } }`);
    expect(limited.body.data.ordersCount).toEqual({ count: 5, precision: "AT_LEAST" });
  });

  it("rejects fields that are not in the schema with Shopify's error shape", async () => {
    const { status, body } = await gql(emu, token, `{ shop { name notAField } }`);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors[0]).toMatchObject({
      message: "Field 'notAField' doesn't exist on type 'Shop'",
      extensions: { code: "undefinedField", typeName: "Shop", fieldName: "notAField" },
    });
    expect(body.errors[0].locations[0]).toEqual({ line: 1, column: 15 });
  });

  it("fails loudly for schema fields the emulator does not implement", async () => {
    const { body } = await gql(emu, token, `{ shop { name billingAddress { city } } }`);
    expect(body.errors[0].message).toBe("Field Shop.billingAddress is not implemented by the Shopify emulator");
    expect(body.data).toBeNull();
  });

  it("paginates orders with cursors and filters by updated_at / customer_id", async () => {
    const q = `query($after: String, $q: String) { orders(first: 25, after: $after, query: $q, sortKey: UPDATED_AT) {
      pageInfo { hasNextPage endCursor } nodes { id updatedAt customer { id } currentTotalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 5) { nodes { quantity product { productType vendor } originalUnitPriceSet { shopMoney { amount } } } } } } }`;
    const since = new Date(clock.ms - 200 * 86400e3).toISOString().replace(/\.\d+Z$/, "Z");
    const seen: string[] = [];
    let after: string | null = null;
    let last = "";
    for (;;) {
      clock.advance(10_000); // let the cost bucket refill between pages
      const { body } = await gql(emu, token, q, { after, q: `updated_at:>'${since}'` });
      expect(body.errors).toBeUndefined();
      for (const n of body.data.orders.nodes) {
        expect(n.updatedAt > since).toBe(true);
        expect(n.updatedAt >= last).toBe(true);
        last = n.updatedAt;
        seen.push(n.id);
      }
      if (!body.data.orders.pageInfo.hasNextPage) break;
      after = body.data.orders.pageInfo.endCursor;
    }
    const s = emu.shop(SHOP);
    const expected = Array.from(s.data.orders.updatedAt.subarray(0, s.data.orders.length)).filter((u) => u > Date.parse(since)).length;
    expect(seen.length).toBe(expected);
    expect(new Set(seen).size).toBe(seen.length);

    const cust = s.customerView(s.data.orders.customer.find((c) => c >= 0)!);
    const legacy = cust.id.split("/").pop();
    const { body } = await gql(
      emu,
      token,
      `{ orders(first: 100, query: "customer_id:${legacy}") { nodes { customer { id } } } customer(id: "${cust.id}") { numberOfOrders amountSpent { amount } defaultEmailAddress { emailAddress marketingState } emailMarketingConsent { marketingState } } }`,
    );
    expect(body.data.orders.nodes.length).toBe(Number(body.data.customer.numberOfOrders));
    expect(body.data.orders.nodes.every((n: any) => n.customer.id === cust.id)).toBe(true);
  });

  it("filters customers by tag and pages backwards", async () => {
    const tag = emu.shop(SHOP).data.customers.tags.find((t) => t?.length)![0]!;
    const { body } = await gql(emu, token, `{ customers(first: 250, query: "tag:${tag}") { nodes { tags } } }`);
    expect(body.data.customers.nodes.length).toBeGreaterThan(0);
    expect(body.data.customers.nodes.every((n: any) => n.tags.includes(tag))).toBe(true);
    const page1 = await gql(emu, token, `{ customers(first: 3) { edges { cursor node { id } } pageInfo { endCursor hasPreviousPage } } }`);
    const page2 = await gql(
      emu,
      token,
      `query($c: String) { customers(first: 3, after: $c) { edges { cursor node { id } } pageInfo { startCursor hasPreviousPage } } }`,
      { c: page1.body.data.customers.pageInfo.endCursor },
    );
    expect(page2.body.data.customers.pageInfo.hasPreviousPage).toBe(true);
    const back = await gql(emu, token, `query($c: String) { customers(last: 3, before: $c) { nodes { id } } }`, {
      c: page2.body.data.customers.pageInfo.startCursor,
    });
    expect(back.body.data.customers.nodes.map((n: any) => n.id)).toEqual(page1.body.data.customers.edges.map((e: any) => e.node.id));
  });

  it("resolves node/nodes and 404s other API versions", async () => {
    const s = emu.shop(SHOP);
    const id = s.orderView(0).id;
    const { body } = await gql(emu, token, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Order { name } } }`, {
      ids: [id, "gid://shopify/Order/1"],
    });
    expect(body.data.nodes).toEqual([{ __typename: "Order", name: "#1001" }, null]);
    const res = await fetch(`${emu.url}/${SHOP}/admin/api/2024-01/graphql.json`, {
      method: "POST",
      headers: { "X-Shopify-Access-Token": token },
      body: "{}",
    });
    expect(res.status).toBe(404);
  });
});
