import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, gql, start } from "./helpers";

describe("cost-based throttling (leaky bucket)", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  beforeAll(async () => {
    ({ emu, clock } = await start({ plan: { bucketSize: 1000, restoreRate: 50 } }));
    await emu.addShop(SHOP, { seed: 5, customers: 400 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(() => emu.stop());

  const Q = `{ customers(first: 100) { nodes { id email amountSpent { amount } } } }`; // 2 + 100 * 2 = 202

  it("charges requested cost, refunds the difference, drains and restores with the clock", async () => {
    const first = await gql(emu, token, Q);
    expect(first.body.extensions.cost).toEqual({
      requestedQueryCost: 202,
      actualQueryCost: 202,
      throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 798, restoreRate: 50 },
    });
    for (let i = 0; i < 3; i++) await gql(emu, token, Q); // 1000 - 4*202 = 192
    const throttled = await gql(emu, token, Q);
    expect(throttled.status).toBe(200);
    expect(throttled.body.errors).toEqual([
      { message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } },
    ]);
    expect(throttled.body.extensions.cost.throttleStatus.currentlyAvailable).toBe(192);
    expect(throttled.body.data).toBeUndefined();
    clock.advance(100); // +5 -> 197 < 202
    expect((await gql(emu, token, Q)).body.errors).toBeDefined();
    clock.advance(200); // +10 -> 207
    const ok = await gql(emu, token, Q);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.extensions.cost.throttleStatus.currentlyAvailable).toBe(5);
    clock.advance(60_000);
    expect(emu.bucket(SHOP).currentlyAvailable).toBe(1000);
  });

  it("refunds unused cost when fewer objects come back than requested", async () => {
    clock.advance(60_000);
    const { body } = await gql(emu, token, `{ customers(first: 250, query: "tag:VIP") { nodes { id } } }`);
    expect(body.extensions.cost.requestedQueryCost).toBe(252);
    expect(body.extensions.cost.actualQueryCost).toBe(2 + body.data.customers.nodes.length);
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBe(1000 - body.extensions.cost.actualQueryCost);
  });

  it("rejects single queries above 1000 points and counts mutations as 10", async () => {
    const { body } = await gql(emu, token, `{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { id } } } } }`);
    expect(body.errors[0].extensions).toEqual({ code: "MAX_COST_EXCEEDED", cost: 2 + 250 * 13, maxCost: 1000 });
    const m = await gql(emu, token, `mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/1") { userErrors { message } } }`);
    expect(m.body.extensions.cost.requestedQueryCost).toBe(10);
  });

  it("injected throttling answers THROTTLED regardless of the bucket", async () => {
    clock.advance(60_000);
    emu.faults.throttle(SHOP, 2);
    expect((await gql(emu, token, "{ shop { name } }")).body.errors[0].extensions.code).toBe("THROTTLED");
    expect((await gql(emu, token, "{ shop { name } }")).body.errors[0].extensions.code).toBe("THROTTLED");
    expect((await gql(emu, token, "{ shop { name } }")).body.data.shop.name).toBeTruthy();
    emu.faults.httpError(SHOP, 503);
    expect((await gql(emu, token, "{ shop { name } }")).status).toBe(503);
  });
});
