import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { SHOP, gql, start } from "./helpers";

describe("inspector and control API", () => {
  let emu: Emulator;
  let token: string;
  beforeAll(async () => {
    ({ emu } = await start());
    await emu.addShop(SHOP, { seed: 8, customers: 30 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(() => emu.stop());

  it("creates orders over HTTP, logs the app's mutations and exposes state", async () => {
    const before = emu.shop(SHOP).orderCount();
    const customerId = emu.shop(SHOP).customerView(2).id;
    const res = await fetch(`${emu.url}/__emulator/shops/${SHOP}/orders`, {
      method: "POST",
      body: JSON.stringify({ customerId, lineItems: [{ productIndex: 1, quantity: 3 }] }),
    });
    expect(res.status).toBe(201);
    const order = (await res.json()) as any;
    expect(order.customer.admin_graphql_api_id).toBe(customerId);
    expect(emu.shop(SHOP).orderCount()).toBe(before + 1);
    const { body } = await gql(
      emu,
      token,
      `query($id: ID!) { order(id: $id) { name lineItems(first: 5) { nodes { quantity } } customer { id } } }`,
      { id: order.admin_graphql_api_id },
    );
    expect(body.data.order).toEqual({ name: order.name, lineItems: { nodes: [{ quantity: 3 }] }, customer: { id: customerId } });

    await gql(
      emu,
      token,
      `mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id } } } }") { userErrors { message } } }`,
    );
    const inspect = (await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json()) as any;
    expect(inspect.orders).toBe(before + 1);
    expect(inspect.mutations.map((m: any) => m.field)).toContain("bulkOperationRunQuery");
    expect(inspect.bulkOperations).toHaveLength(1);
    expect(inspect.throttle.maximumAvailable).toBe(2000);

    const f = await fetch(`${emu.url}/__emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ type: "http", shop: SHOP, status: 502 }),
    });
    expect(f.status).toBe(200);
    expect((await gql(emu, token, "{ shop { name } }")).status).toBe(502);
    expect((await gql(emu, token, "{ shop { name } }")).status).toBe(200);
  });

  it("updates orders (refund/cancel) and customers through the helpers", () => {
    const s = emu.shop(SHOP);
    const id = s.orderView(0).id;
    const refunded = emu.updateOrder(SHOP, id, { refundCents: 100 });
    expect(Number(refunded.current_total_price)).toBeCloseTo(Number(refunded.total_price) - 1, 2);
    const cancelled = emu.updateOrder(SHOP, id, { cancelled: true });
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(cancelled.current_total_price).toBe("0.00");
    const c = emu.updateCustomer(SHOP, s.customerView(0).id, {
      tags: ["winback"],
      emailMarketingState: "SUBSCRIBED",
      emailOptInLevel: "CONFIRMED_OPT_IN",
    });
    expect(c).toMatchObject({ tags: "winback", email_marketing_consent: { state: "subscribed", opt_in_level: "confirmed_opt_in" } });
  });
});
