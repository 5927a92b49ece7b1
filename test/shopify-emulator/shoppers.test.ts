import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, gql, start } from "./helpers";
import {
  averageOrderCents,
  baselineDailyProbability,
  isPersuadable,
  OFFER_RESPONSE,
  offerMultiplier,
  offerRelativeValue,
} from "./shoppers";

const DAY = 86_400_000;
const TAGS_ADD = `mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { message } } }`;
const SEGMENT = `mutation($name: String!, $query: String!) { segmentCreate(name: $name, query: $query) { segment { id } userErrors { message } } }`;
const DISCOUNT = `mutation($input: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $input) { codeDiscountNode { id } userErrors { message } } }`;
const FREE_SHIPPING = `mutation($input: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) { codeDiscountNode { id } userErrors { message } } }`;

type ArmOffer = { percentage: number } | { amount: number } | "free_shipping" | "perk";

/**
 * An offer experiment the way the app launches one (ADR 099): lapsed customers split into a holdout
 * and arms by index, each arm's members tagged with its own tag, and for each arm with a code a
 * segment of that tag and a code limited to it (a perk arm has the tag only).
 */
async function launchArms(emu: Emulator, clock: FakeClock, token: string, offers: ArmOffer[]) {
  const shop = emu.shop(SHOP);
  const lapsed: number[] = [];
  for (let c = 0; c < shop.data.customers.length; c++) {
    const orders = shop.ordersOfCustomer(c);
    if (orders.length && clock.ms - shop.data.orders.processedAt[orders[orders.length - 1]!]! > 90 * DAY) lapsed.push(c);
  }
  const groups = offers.length + 1;
  const holdout = lapsed.filter((_, i) => i % groups === 0);
  const arms = offers.map((_, a) => lapsed.filter((_, i) => i % groups === a + 1));
  for (let a = 0; a < offers.length; a++) {
    for (const c of arms[a]!) {
      clock.advance(100);
      await gql(emu, token, TAGS_ADD, { id: shop.customerView(c).id, tags: [`winback-arm-${a}`] });
    }
    const offer = offers[a]!;
    if (offer === "perk") continue;
    const seg = (await gql(emu, token, SEGMENT, { name: `Arm ${a}`, query: `customer_tags CONTAINS 'winback-arm-${a}'` })).body.data
      .segmentCreate.segment.id;
    const common = {
      title: `Arm ${a}`,
      code: `ARM${a}`,
      startsAt: new Date(clock.ms).toISOString(),
      endsAt: new Date(clock.ms + 30 * DAY).toISOString(),
      appliesOncePerCustomer: true,
      context: { customerSegments: { add: [seg] } },
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: false },
    };
    const r =
      offer === "free_shipping"
        ? (await gql(emu, token, FREE_SHIPPING, { input: { ...common, destination: { all: true } } })).body.data
            .discountCodeFreeShippingCreate
        : (
            await gql(emu, token, DISCOUNT, {
              input: {
                ...common,
                customerGets: {
                  value:
                    "percentage" in offer
                      ? { percentage: offer.percentage }
                      : { discountAmount: { amount: offer.amount, appliesOnEachItem: false } },
                  items: { all: true },
                },
              },
            })
          ).body.data.discountCodeBasicCreate;
    expect(r.userErrors).toEqual([]);
  }
  return { holdout, arms };
}

/** A win-back launch the way the app does it: lapsed customers, 10% holdout, tag + segment + code. */
async function launch(emu: Emulator, clock: FakeClock, token: string) {
  const shop = emu.shop(SHOP);
  const launchedAt = clock.ms;
  const lapsed: number[] = [];
  for (let c = 0; c < shop.data.customers.length; c++) {
    const orders = shop.ordersOfCustomer(c);
    if (!orders.length) continue;
    const last = shop.data.orders.processedAt[orders[orders.length - 1]!]!;
    if (launchedAt - last > 90 * DAY) lapsed.push(c);
  }
  const treated = lapsed.filter((_, i) => i % 2 === 0);
  const holdout = lapsed.filter((_, i) => i % 2 === 1);
  // 10 cost points per mutation; 100 ms on the fake clock restores them (Standard plan, 100/s).
  for (const c of treated) {
    clock.advance(100);
    await gql(emu, token, TAGS_ADD, { id: shop.customerView(c).id, tags: ["winback-sim"] });
  }
  const now = clock.ms;
  const seg = (await gql(emu, token, SEGMENT, { name: "Win-back sim", query: "customer_tags CONTAINS 'winback-sim'" })).body.data
    .segmentCreate.segment.id;
  const d = await gql(emu, token, DISCOUNT, {
    input: {
      title: "Win-back sim 20%",
      code: "WBSIM20",
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 14 * DAY).toISOString(),
      customerGets: { value: { percentage: 0.2 }, items: { all: true } },
      appliesOncePerCustomer: true,
      context: { customerSegments: { add: [seg] } },
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: false },
    },
  });
  expect(d.body.data.discountCodeBasicCreate.userErrors).toEqual([]);
  return { treated, holdout };
}

describe("simulated shoppers", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  let app: http.Server;
  const hooks: Array<{ topic: string; body: any }> = [];
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
      // One attempt, but time enough on a loaded machine: the test counts every orders/create.
      webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 15_000 },
    }));
    await emu.addShop(SHOP, { seed: 33, customers: 800, years: 3 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });

  it("treated lapsed customers reactivate more than the holdout; some use the code inside its window; orders/create fires", async () => {
    const { treated, holdout } = await launch(emu, clock, token);
    expect(treated.length).toBeGreaterThan(100);
    const shop = emu.shop(SHOP);
    const ordersBefore = shop.orderCount();
    hooks.length = 0;
    const res = await fetch(`${emu.url}/__emulator/shops/${SHOP}/simulate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ days: 30, seed: 7 }),
    });
    expect(res.status).toBe(200);
    const sim = await res.json();
    expect(sim.orders).toBe(shop.orderCount() - ordersBefore);
    expect(sim.orders).toBeGreaterThan(0);
    expect(sim.treatedCustomers).toBe(treated.length);

    const newOrders = sim.orderIds.map((id: string) => shop.orderView(shop.orderIndexFromId(id)));
    const reactivated = (group: number[]) => group.filter((c) => newOrders.some((o: any) => o._customerIdx === c)).length / group.length;
    const tRate = reactivated(treated);
    const hRate = reactivated(holdout);
    expect(tRate).toBeGreaterThan(hRate * 1.5);
    expect(tRate).toBeGreaterThan(0.05);

    const coded = newOrders.filter((o: any) => o.discountCodes.includes("WBSIM20"));
    expect(coded.length).toBe(sim.codeRedemptions);
    expect(coded.length).toBeGreaterThan(0);
    for (const o of coded) {
      expect(treated).toContain(o._customerIdx);
      const t = Date.parse(o.processedAt);
      expect(t).toBeGreaterThanOrEqual(clock.ms);
      expect(t).toBeLessThan(clock.ms + 14 * DAY);
    }
    for (const o of newOrders) {
      const t = Date.parse(o.processedAt);
      expect(t).toBeGreaterThanOrEqual(clock.ms - 1000);
      expect(t).toBeLessThan(clock.ms + 30 * DAY);
    }
    const node = await gql(
      emu,
      token,
      `{ codeDiscountNodeByCode(code: "WBSIM20") { codeDiscount { ... on DiscountCodeBasic { asyncUsageCount } } } }`,
    );
    expect(node.body.data.codeDiscountNodeByCode.codeDiscount.asyncUsageCount).toBe(coded.length);

    await emu.webhooks.idle();
    const created = hooks.filter((h) => h.topic === "orders/create");
    expect(created).toHaveLength(sim.orders);
    expect(created.filter((h) => h.body.discount_codes.some((d: any) => d.code === "WBSIM20"))).toHaveLength(coded.length);
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.simulations.at(-1)).toMatchObject({ days: 30, seed: 7, orders: sim.orders });

    const bad = await fetch(`${emu.url}/__emulator/shops/${SHOP}/simulate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ days: "x", seed: 1 }),
    });
    expect(bad.status).toBe(400);
  });

  it("is deterministic for a seed (same shop, same launch -> identical orders) and differs for another seed", async () => {
    const runOnce = async (seed: number) => {
      const c = new FakeClock();
      const e = (await start({ now: c.now })).emu;
      try {
        await e.addShop(SHOP, { seed: 33, customers: 800, years: 3 });
        await launch(e, c, e.issueAccessToken(SHOP));
        const sim = e.simulateShoppers(SHOP, { days: 21, seed, from: new Date(c.ms - 7 * DAY) });
        const s = e.shop(SHOP);
        return sim.orderIds.map((id) => {
          const o = s.orderView(s.orderIndexFromId(id));
          return `${s.customerLegacyId(o._customerIdx)}|${o.processedAt}|${o._totalCents}|${o.discountCodes.join(",")}`;
        });
      } finally {
        await e.stop();
      }
    };
    const a = await runOnce(99);
    const b = await runOnce(99);
    const c = await runOnce(100);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // Orders before the launch (from = clock - 7 days) are dated in the past and never carry the code.
    expect(a.filter((x) => Date.parse(x.split("|")[1]!) < Date.parse("2026-11-01T12:00:00Z")).every((x) => !x.endsWith("WBSIM20"))).toBe(
      true,
    );
  });

  it("heterogeneous response: only persuadable treated customers (repeat buyers lapsed 90–365 days) respond; per-code multipliers drive experiment arms", async () => {
    const runOnce = async (opts: { response?: "uniform" | "heterogeneous"; upliftByCode?: Record<string, number> }) => {
      const c = new FakeClock();
      const e = (await start({ now: c.now })).emu;
      try {
        await e.addShop(SHOP, { seed: 41, customers: 3000, years: 3 });
        const { treated } = await launch(e, c, e.issueAccessToken(SHOP));
        const s = e.shop(SHOP);
        const pers = new Set(treated.filter((x) => isPersuadable(s, x, c.ms)));
        const sim = e.simulateShoppers(SHOP, { days: 60, seed: 5, uplift: 6, ...opts });
        const buyers = new Set(sim.orderIds.map((id) => s.orderView(s.orderIndexFromId(id))._customerIdx));
        const rate = (xs: number[]) => xs.filter((x) => buyers.has(x)).length / Math.max(1, xs.length);
        return {
          sim,
          pers: rate(treated.filter((x) => pers.has(x))),
          rest: rate(treated.filter((x) => !pers.has(x))),
          persuadable: pers.size,
        };
      } finally {
        await e.stop();
      }
    };
    const het = await runOnce({ response: "heterogeneous" });
    expect(het.persuadable).toBeGreaterThan(50);
    expect(het.sim.persuadableTreated).toBe(het.persuadable);
    expect(het.pers).toBeGreaterThan(2 * het.rest);
    const uni = await runOnce({});
    expect(uni.sim.persuadableTreated).toBe(uni.sim.treatedCustomers);
    expect(uni.sim.treatedOrders).toBeGreaterThan(het.sim.treatedOrders);
    // An arm whose code gets no lift behaves like the holdout: fewer treated orders than the default uplift.
    const flat = await runOnce({ upliftByCode: { wbsim20: 1 } });
    expect(flat.sim.treatedOrders).toBeLessThan(uni.sim.treatedOrders / 2);
  }, 120_000);

  it("offer response: the multiplier rises with the offer's worth relative to the customer's average order and levels off", () => {
    // The curve's documented points (ADR 109): a contact alone, 10%, 15% (the campaigns' default), 25%.
    expect(offerMultiplier(0)).toBe(OFFER_RESPONSE.contact);
    expect(offerMultiplier(0.1)).toBeCloseTo(1.97, 2);
    expect(offerMultiplier(0.15)).toBeCloseTo(3.42, 2);
    expect(offerMultiplier(0.25)).toBeCloseTo(7.18, 2);
    let prev = 0;
    for (let r = 0; r <= 1; r += 0.05) {
      expect(offerMultiplier(r)).toBeGreaterThanOrEqual(prev);
      prev = offerMultiplier(r);
    }
    expect(offerMultiplier(1)).toBeLessThan(OFFER_RESPONSE.contact + OFFER_RESPONSE.max);
    expect(offerMultiplier(5)).toBeCloseTo(offerMultiplier(1), 1);
    // What a code is worth to a customer whose orders average 50.00, with shipping at 7.00.
    expect(offerRelativeValue({ value: { kind: "percentage", percentage: 0.25 } }, 5000, 700)).toBe(0.25);
    expect(offerRelativeValue({ value: { kind: "amount", amountCents: 1000, appliesOnEachItem: false } }, 5000, 700)).toBe(0.2);
    expect(offerRelativeValue({ value: { kind: "amount", amountCents: 9000, appliesOnEachItem: false } }, 5000, 700)).toBe(1);
    expect(offerRelativeValue({ value: { kind: "free_shipping" } }, 5000, 700)).toBeCloseTo(0.14, 10);
    // Free shipping is worth more to a customer with small orders.
    expect(offerRelativeValue({ value: { kind: "free_shipping" } }, 2000, 700)).toBeGreaterThan(
      offerRelativeValue({ value: { kind: "free_shipping" } }, 10000, 700),
    );
  });

  it("offer response without a test hook: 25% off brings back more than 10% off, free shipping or a perk, and those more than the holdout", async () => {
    const c = new FakeClock();
    const e = (await start({ now: c.now })).emu;
    try {
      await e.addShop(SHOP, { seed: 42, customers: 3000, years: 4 });
      const { holdout, arms } = await launchArms(e, c, e.issueAccessToken(SHOP), [
        { percentage: 0.1 },
        { percentage: 0.25 },
        "free_shipping",
        "perk",
      ]);
      const s = e.shop(SHOP);
      const sim = e.simulateShoppers(SHOP, { days: 30, seed: 3 });
      // Every arm, the perk's included, is treated; the holdout is not.
      expect(sim.treatedCustomers).toBe(arms.flat().filter((x) => baselineDailyProbability(s, x, c.ms) > 0).length);
      const buyers = new Set(sim.orderIds.map((id) => s.orderView(s.orderIndexFromId(id))._customerIdx));
      const rate = (xs: number[]) => xs.filter((x) => buyers.has(x)).length / xs.length;
      const [ten, quarter, shipping, perk] = arms.map(rate) as [number, number, number, number];
      const none = rate(holdout);
      expect(quarter).toBeGreaterThan(ten + 0.15);
      expect(quarter).toBeGreaterThan(shipping + 0.15);
      expect(Math.min(ten, shipping)).toBeGreaterThan(perk);
      expect(perk).toBeGreaterThan(none);
      // Free shipping's response follows each member's average order: worth more on small orders.
      const fsMembers = arms[2]!.map((x) => ({ x, aov: averageOrderCents(s, x, c.ms) })).sort((a, b) => a.aov - b.aov);
      const half = Math.floor(fsMembers.length / 2);
      expect(rate(fsMembers.slice(0, half).map((m) => m.x))).toBeGreaterThan(rate(fsMembers.slice(half).map((m) => m.x)));
      // Tests still fix the response per code when they need to: 10% off made the strongest arm.
      const fixed = e.simulateShoppers(SHOP, { days: 30, seed: 3, upliftByCode: { arm0: 9, arm1: 1 } });
      const fixedBuyers = new Set(fixed.orderIds.map((id) => s.orderView(s.orderIndexFromId(id))._customerIdx));
      const fixedRate = (xs: number[]) => xs.filter((x) => fixedBuyers.has(x)).length / xs.length;
      expect(fixedRate(arms[0]!)).toBeGreaterThan(fixedRate(arms[1]!) + 0.15);
    } finally {
      await e.stop();
    }
  }, 180_000);

  it("baseline hazard comes from the customer's own history and fades with recency", () => {
    const shop = emu.shop(SHOP);
    let frequent = -1;
    let best = 0;
    for (let c = 0; c < 300; c++) {
      const n = shop.ordersOfCustomer(c).length;
      if (n > best) {
        best = n;
        frequent = c;
      }
    }
    const p = baselineDailyProbability(shop, frequent, clock.ms);
    expect(p).toBeGreaterThan(0);
    expect(baselineDailyProbability(shop, frequent, clock.ms + 400 * DAY)).toBeLessThan(p);
    let never = 0;
    while (shop.ordersOfCustomer(never).length) never++;
    expect(baselineDailyProbability(shop, never, clock.ms)).toBe(0);
  });
});
