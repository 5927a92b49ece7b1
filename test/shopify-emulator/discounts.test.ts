import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, gql, start } from "./helpers";

const CREATE = `mutation($input: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $input) {
  codeDiscountNode { id codeDiscount { ... on DiscountCodeBasic { title status startsAt endsAt asyncUsageCount appliesOncePerCustomer usageLimit summary
    codes(first: 2) { nodes { code asyncUsageCount } }
    combinesWith { orderDiscounts productDiscounts shippingDiscounts }
    context { __typename ... on DiscountCustomerSegments { segments { id name } } ... on DiscountCustomers { customers { id } } ... on DiscountBuyerSelectionAll { all } }
    customerGets { value { __typename ... on DiscountPercentage { percentage } ... on DiscountAmount { amount { amount currencyCode } appliesOnEachItem } } items { __typename ... on AllDiscountItems { allItems } } }
    minimumRequirement { __typename ... on DiscountMinimumSubtotal { greaterThanOrEqualToSubtotal { amount } } } } } }
  userErrors { field message code extraInfo } } }`;
const READ = `query($id: ID!, $code: String!) {
  codeDiscountNode(id: $id) { id codeDiscount { ... on DiscountCodeBasic { status asyncUsageCount totalSales { amount } } } }
  codeDiscountNodeByCode(code: $code) { id }
  codeDiscountNodes(first: 10, query: "status:active") { nodes { id } } }`;
const SEGMENT = `mutation($name: String!, $query: String!) { segmentCreate(name: $name, query: $query) { segment { id } userErrors { message } } }`;
const TAGS_ADD = `mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { message } } }`;

describe("emulator discounts", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  let app: http.Server;
  let segmentId: string;
  const hooks: Array<{ topic: string; body: any }> = [];
  const cid = (c: number) => emu.shop(SHOP).customerView(c).id;
  const base = (over: Record<string, unknown> = {}) => ({
    title: "Win-back 15%",
    code: "WB-STD-15",
    startsAt: "2026-11-01T00:00:00Z",
    endsAt: "2026-11-15T00:00:00Z",
    customerGets: { value: { percentage: 0.15 }, items: { all: true } },
    minimumRequirement: { subtotal: { greaterThanOrEqualToSubtotal: "20.00" } },
    appliesOncePerCustomer: true,
    combinesWith: { orderDiscounts: false, productDiscounts: true, shippingDiscounts: true },
    ...over,
  });

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hooks.push({ topic: String(req.headers["x-shopify-topic"]), body: JSON.parse(b) });
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    ({ emu, clock } = await start({
      appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
      webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 1000 },
    }));
    await emu.addShop(SHOP, { seed: 8, customers: 80, years: 2 });
    token = emu.issueAccessToken(SHOP);
    const seg = await gql(emu, token, SEGMENT, { name: "wb treated", query: "customer_tags CONTAINS 'wb-treated'" });
    segmentId = seg.body.data.segmentCreate.segment.id;
    for (const c of [1, 2, 3]) await gql(emu, token, TAGS_ADD, { id: cid(c), tags: ["wb-treated"] });
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });

  it("creates a segment-limited, time-bound code discount and reads it back with the 2026-10 shape", async () => {
    const { body } = await gql(emu, token, CREATE, { input: base({ context: { customerSegments: { add: [segmentId] } } }) });
    expect(body.data.discountCodeBasicCreate.userErrors).toEqual([]);
    const node = body.data.discountCodeBasicCreate.codeDiscountNode;
    expect(node.id).toMatch(/^gid:\/\/shopify\/DiscountCodeNode\/\d+$/);
    expect(node.codeDiscount).toMatchObject({
      title: "Win-back 15%",
      status: "ACTIVE",
      startsAt: "2026-11-01T00:00:00Z",
      endsAt: "2026-11-15T00:00:00Z",
      asyncUsageCount: 0,
      appliesOncePerCustomer: true,
      usageLimit: null,
      codes: { nodes: [{ code: "WB-STD-15", asyncUsageCount: 0 }] },
      combinesWith: { orderDiscounts: false, productDiscounts: true, shippingDiscounts: true },
      context: { __typename: "DiscountCustomerSegments", segments: [{ id: segmentId, name: "wb treated" }] },
      customerGets: {
        value: { __typename: "DiscountPercentage", percentage: 0.15 },
        items: { __typename: "AllDiscountItems", allItems: true },
      },
      minimumRequirement: { __typename: "DiscountMinimumSubtotal", greaterThanOrEqualToSubtotal: { amount: "20.00" } },
    });
    expect(node.codeDiscount.summary).toContain("15% off entire order");
    const read = await gql(emu, token, READ, { id: node.id, code: "wb-std-15" });
    expect(read.body.data.codeDiscountNode.id).toBe(node.id);
    expect(read.body.data.codeDiscountNodeByCode.id).toBe(node.id);
    expect(read.body.data.codeDiscountNodes.nodes.map((n: any) => n.id)).toContain(node.id);
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.discounts.filter((d: any) => d.code === "WB-STD-15")).toHaveLength(1);
  });

  it("validates like Shopify: duplicate code (any case), endsAt before startsAt, percentage range, unknown segment/customer, blank title", async () => {
    const cases: Array<[Record<string, unknown>, unknown[]]> = [
      [
        base({ code: "wb-std-15" }),
        [
          {
            field: ["basicCodeDiscount", "code"],
            message: "Code must be unique. Please try a different code.",
            code: "TAKEN",
            extraInfo: null,
          },
        ],
      ],
      [
        base({ code: "WB-X1", endsAt: "2026-10-01T00:00:00Z" }),
        [{ field: ["basicCodeDiscount", "endsAt"], message: "Ends at needs to be after starts_at", code: "INVALID", extraInfo: null }],
      ],
      [
        base({ code: "WB-X2", customerGets: { value: { percentage: 1.5 }, items: { all: true } } }),
        [
          {
            field: ["basicCodeDiscount", "customerGets", "value", "percentage"],
            message: "Value must be between 0.0 and 1.0",
            code: "VALUE_OUTSIDE_RANGE",
            extraInfo: null,
          },
        ],
      ],
      [
        base({ code: "WB-X3", context: { customerSegments: { add: ["gid://shopify/Segment/42"] } } }),
        [
          {
            field: ["basicCodeDiscount", "context", "customerSegments", "add"],
            message: "Customer segment with id: 42 is invalid",
            code: "INVALID",
            extraInfo: null,
          },
        ],
      ],
      [
        base({ code: "WB-X4", context: { customers: { add: ["gid://shopify/Customer/1"] } } }),
        [
          {
            field: ["basicCodeDiscount", "context", "customers", "add"],
            message: "Customer with id: 1 is invalid",
            code: "INVALID",
            extraInfo: null,
          },
        ],
      ],
      [
        base({ code: "WB-X5", title: "" }),
        [{ field: ["basicCodeDiscount", "title"], message: "Title can't be blank", code: "BLANK", extraInfo: null }],
      ],
    ];
    for (const [input, errors] of cases) {
      const { body } = await gql(emu, token, CREATE, { input });
      expect(body.data.discountCodeBasicCreate).toEqual({ codeDiscountNode: null, userErrors: errors });
    }
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.discounts.map((d: any) => d.code)).toEqual(["WB-STD-15"]);
  });

  it("status follows the emulator clock (SCHEDULED -> ACTIVE -> EXPIRED); deactivate and delete", async () => {
    const { body } = await gql(emu, token, CREATE, {
      input: base({ code: "WB-LATER", startsAt: "2026-11-03T00:00:00Z", endsAt: "2026-11-04T00:00:00Z", appliesOncePerCustomer: false }),
    });
    const id = body.data.discountCodeBasicCreate.codeDiscountNode.id;
    expect(body.data.discountCodeBasicCreate.codeDiscountNode.codeDiscount.status).toBe("SCHEDULED");
    const status = async () => (await gql(emu, token, READ, { id, code: "WB-LATER" })).body.data.codeDiscountNode.codeDiscount.status;
    clock.ms = Date.parse("2026-11-03T12:00:00Z");
    expect(await status()).toBe("ACTIVE");
    clock.ms = Date.parse("2026-11-05T00:00:00Z");
    expect(await status()).toBe("EXPIRED");
    const deact = await gql(
      emu,
      token,
      `mutation($id: ID!) { discountCodeDeactivate(id: $id) { codeDiscountNode { codeDiscount { ... on DiscountCodeBasic { status endsAt } } } userErrors { message } } }`,
      { id },
    );
    expect(deact.body.data.discountCodeDeactivate.codeDiscountNode.codeDiscount.status).toBe("EXPIRED");
    const del = await gql(
      emu,
      token,
      `mutation($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { message } } }`,
      { id },
    );
    expect(del.body.data.discountCodeDelete).toEqual({ deletedCodeDiscountId: id, userErrors: [] });
    expect((await gql(emu, token, READ, { id, code: "WB-LATER" })).body.data.codeDiscountNode).toBeNull();
  });

  it("an order with the code: eligibility via the segment, minimum subtotal, once per customer, total reduced, usage counted, webhook carries the code", async () => {
    const shop = emu.shop(SHOP);
    hooks.length = 0;
    // Not in the segment -> rejected like checkout would.
    expect(() =>
      emu.createOrder(SHOP, { customerId: cid(10), lineItems: [{ productIndex: 0, priceCents: 5000 }], discountCodes: ["WB-STD-15"] }),
    ).toThrow(/not eligible/);
    // Below the minimum subtotal.
    expect(() =>
      emu.createOrder(SHOP, { customerId: cid(1), lineItems: [{ productIndex: 0, priceCents: 1000 }], discountCodes: ["WB-STD-15"] }),
    ).toThrow(/minimum subtotal/);
    const before = shop.customerView(1)._spentCents;
    const payload = emu.createOrder(SHOP, {
      customerId: cid(1),
      processedAt: "2026-11-02T10:00:00Z",
      lineItems: [{ productIndex: 0, priceCents: 4000, quantity: 2 }],
      discountCodes: ["wb-std-15"],
    });
    expect(payload.total_price).toBe("68.00");
    expect(payload.discount_codes).toEqual([{ code: "WB-STD-15", amount: "12.00", type: "percentage" }]);
    expect(payload.total_discounts).toBe("12.00");
    expect(shop.customerView(1)._spentCents - before).toBe(6800);
    await emu.webhooks.idle();
    const created = hooks.find((h) => h.topic === "orders/create" && h.body.id === payload.id);
    expect(created?.body.discount_codes[0].code).toBe("WB-STD-15");
    // Once per customer.
    expect(() =>
      emu.createOrder(SHOP, { customerId: cid(1), lineItems: [{ productIndex: 0, priceCents: 4000 }], discountCodes: ["WB-STD-15"] }),
    ).toThrow(/already used/);

    const order = await gql(
      emu,
      token,
      `query($id: ID!) { order(id: $id) { discountCodes totalDiscountsSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } } } }`,
      { id: payload.admin_graphql_api_id },
    );
    expect(order.body.data.order).toEqual({
      discountCodes: ["WB-STD-15"],
      totalDiscountsSet: { shopMoney: { amount: "12.00" } },
      totalPriceSet: { shopMoney: { amount: "68.00" } },
    });
    const node = await gql(emu, token, READ, { id: shop.store("discounts", () => [] as any[])[0].id, code: "WB-STD-15" });
    expect(node.body.data.codeDiscountNode.codeDiscount).toMatchObject({ asyncUsageCount: 1, totalSales: { amount: "68.00" } });

    // Control API: the same rejection is a 422 with Shopify's checkout reason, not a crash.
    const res = await fetch(`${emu.url}/__emulator/shops/${SHOP}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customerId: cid(2), lineItems: [{ productIndex: 0, priceCents: 3000 }], discountCodes: ["NOPE"] }),
    });
    expect(res.status).toBe(422);
    expect((await res.json()).error).toMatch(/Enter a valid discount code/);
    const ok = await fetch(`${emu.url}/__emulator/shops/${SHOP}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customerId: cid(2), lineItems: [{ productIndex: 0, priceCents: 3000 }], discountCodes: ["WB-STD-15"] }),
    });
    expect(ok.status).toBe(201);
    expect((await ok.json()).total_price).toBe("25.50");
  });

  it("single-customer fixed-amount code (points redemption) only works for that customer, once", async () => {
    const { body } = await gql(emu, token, CREATE, {
      input: {
        title: "Points reward",
        code: "PTS-ABC123",
        startsAt: "2026-11-01T00:00:00Z",
        customerGets: { value: { discountAmount: { amount: "5.00", appliesOnEachItem: false } }, items: { all: true } },
        context: { customers: { add: [cid(20)] } },
        usageLimit: 1,
        combinesWith: { orderDiscounts: true },
      },
    });
    expect(body.data.discountCodeBasicCreate.userErrors).toEqual([]);
    expect(body.data.discountCodeBasicCreate.codeDiscountNode.codeDiscount.context).toEqual({
      __typename: "DiscountCustomers",
      customers: [{ id: cid(20) }],
    });
    expect(() => emu.createOrder(SHOP, { customerId: cid(21), lineItems: [{ priceCents: 2000 }], discountCodes: ["PTS-ABC123"] })).toThrow(
      /not eligible/,
    );
    const p = emu.createOrder(SHOP, { customerId: cid(20), lineItems: [{ priceCents: 2000 }], discountCodes: ["PTS-ABC123"] });
    expect(p.total_price).toBe("15.00");
    expect(p.discount_codes).toEqual([{ code: "PTS-ABC123", amount: "5.00", type: "fixed_amount" }]);
    expect(() => emu.createOrder(SHOP, { customerId: cid(20), lineItems: [{ priceCents: 2000 }], discountCodes: ["PTS-ABC123"] })).toThrow(
      /usage limit/,
    );
  });
});
