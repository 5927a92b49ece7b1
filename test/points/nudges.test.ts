import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../app/domain/points";
import type { FlowTriggerEvent, FlowTriggers, Messenger, OutboundEmail, SendOutcome } from "../../app/messaging/types";
import { rebuildShopLedger } from "../../app/points/store";
import { nudgeMessage, runNudges, type NudgeDeps } from "../../app/points/send-reminders";
import { pointsOverview } from "../../app/points/read-overview";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { turnPointsOnForTest } from "./support";

const SHOP = "points-nudges.myshopify.com";
const NOW = new Date("2026-12-01T12:00:00Z");
const at = (days: number) => new Date(NOW.getTime() + days * DAY_MS);

/** Recording fakes with the contract's dedupe: a key is delivered once. */
class FakeMessenger implements Messenger {
  sent: OutboundEmail[] = [];
  keys = new Set<string>();
  failFor = new Set<string>();
  async sendEmail(m: OutboundEmail): Promise<SendOutcome> {
    if (this.failFor.has(m.customerId)) throw new Error("SMTP down");
    if (this.keys.has(m.dedupeKey)) return { status: "skipped", reason: "duplicate" };
    this.keys.add(m.dedupeKey);
    this.sent.push(m);
    if (m.customerId === "5") return { status: "skipped", reason: "not_subscribed" };
    return { status: "sent", messageId: `m${this.sent.length}`, unsubscribeUrl: "https://app/unsubscribe" };
  }
}
class FakeFlow implements FlowTriggers {
  fired: FlowTriggerEvent[] = [];
  async fire(e: FlowTriggerEvent) {
    if (this.fired.some((f) => f.dedupeKey === e.dedupeKey)) return "duplicate" as const;
    this.fired.push(e);
    return "fired" as const;
  }
}

describe.each(databaseKinds)("points expiry nudges on %s", (kind) => {
  let t: TestDb;
  const messenger = new FakeMessenger();
  const flow = new FakeFlow();
  let now = NOW;
  const deps = (): NudgeDeps => ({ sql: t.db.sql, messenger, flow, now: () => now });
  let oid = 1;
  let lid = 1000;
  async function order(cid: number, total: number, placed: Date, lines: Array<[string, number]> = []) {
    const id = oid++;
    await t.db.sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, $2, $3, $4, $4, $4, $5, $5, 'EUR')`,
      [SHOP, id, cid, placed.toISOString(), total],
    );
    for (const [title, qty] of lines)
      await t.db.sql.query(
        `INSERT INTO "OrderLine" (shop, id, "orderId", "productTitle", quantity, "unitPrice") VALUES ($1, $2, $3, $4, $5, 10)`,
        [SHOP, lid++, id, title, qty],
      );
  }

  beforeAll(async () => {
    t = await createTestDb(kind);
    await t.db.sql.query(
      `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", "updatedAt") VALUES ($1, 'Maison Test', 'EUR', 'Asia/Tokyo', now())`,
      [SHOP],
    );
    for (const [id, name] of [
      [1, "Ann"],
      [2, "Bob"],
      [3, "Cy"],
      [4, "Di"],
      [5, "Ed"],
    ] as const) {
      await t.db.sql.query(`INSERT INTO "Customer" (shop, id, "firstName") VALUES ($1, $2, $3)`, [SHOP, id, name]);
    }
    // lots live 365 days: placed 355 days ago → expires in 10 days (T-14 due now)
    await order(1, 240, at(-355), [
      ["Linen shirt", 3],
      ["Socks", 1],
      ["Belt", 1],
      ["Scarf", 2],
    ]);
    await order(2, 120, at(-360)); // expires in 5 days: T-7 due now
    await order(3, 300, at(-330)); // expires in 35 days: nothing yet
    await order(4, 200, at(-356)); // expires in 9 days but fully redeemed below
    await t.db.sql.query(
      `INSERT INTO "PointsRedemption" (id, shop, "customerId", "idempotencyKey", points, value, currency, code, status, "createdAt", "updatedAt") VALUES ('r4', $1, 4, 'k4', 200, 10, 'EUR', 'PTS-D', 'issued', $2, $2)`,
      [SHOP, at(-20).toISOString()],
    );
    await order(5, 90, at(-358)); // expires in 7 days, email consent missing: Flow still fires
    await order(1, 50, at(-400)); // expired: never nudged
    await turnPointsOnForTest(t.db.sql, SHOP, { at: at(-400) });
    await rebuildShopLedger(t.db.sql, SHOP, NOW);
  }, 240_000);
  afterAll(async () => t?.drop());

  it("the page's schedule plans what the job will send: one reminder per lot today, even when several steps have passed", async () => {
    const o = await pointsOverview(t.db.sql, SHOP, NOW);
    const today = o.schedule[0]!;
    // Ann T-14; Bob and Ed are past T-14 and T-7: only T-7 goes out (as runNudges sends below)
    expect(today.byOffset).toEqual({ "14": 1, "7": 2, "2": 0 });
    expect(today.total).toBe(3);
    expect(o.schedule.find((d) => d.date === at(3).toISOString().slice(0, 10))!.byOffset["2"]).toBe(1); // Bob's T-2
  });

  it("sends the due reminders once: points, value, date in the shop's zone, basket from the shopper's history, one CTA; and Flow", async () => {
    const r = await runNudges(deps(), SHOP);
    expect(r).toEqual({ due: 3, emailed: 2, skipped: 1, flowFired: 3, failed: 0 });
    expect(messenger.sent.map((m) => [m.customerId, m.kind, m.dedupeKey])).toEqual([
      ["2", "points_nudge", "points:2:order:2:T-7"],
      ["5", "points_nudge", "points:5:order:5:T-7"],
      ["1", "points_nudge", "points:1:order:1:T-14"],
    ]);
    const ann = messenger.sent.find((m) => m.customerId === "1")!;
    const expires = at(10); // 2026-12-11T12:00Z = Dec 11, 21:00 in Tokyo
    // 240 points at 100 per €5.00: two whole rewards, what redeeming them gives
    expect(ann.subject).toBe("240 points (€10.00) expire on December 11, 2026");
    expect(ann.text).toContain("Hi Ann,");
    expect(ann.text).toContain("240 of your Maison Test points, worth €10.00, expire on December 11, 2026.");
    expect(ann.text).toContain("Linen shirt, Scarf, Belt");
    expect(ann.html?.match(/<a /g)).toHaveLength(1);
    expect(flow.fired.find((f) => f.payload.customer_id === "1")).toEqual({
      shop: SHOP,
      handle: "points-expiring",
      dedupeKey: "points:1:order:1:T-14",
      payload: {
        customer_id: "1",
        points: 240,
        points_value: 10,
        expires_at: expires.toISOString(),
        basket_suggestion: "Linen shirt, Scarf, Belt",
      },
    });
    expect(await runNudges(deps(), SHOP)).toEqual({ due: 0, emailed: 0, skipped: 0, flowFired: 0, failed: 0 });
  });

  it("the date is the calendar day in the shop's zone", async () => {
    // customer 3's lot expires 2027-01-05T12:00Z... placed at(-330) → expires at(35); move to its T-14 with a late-evening UTC expiry
    now = new Date(at(35).getTime() - 14 * DAY_MS);
    messenger.failFor.add("3");
    const r = await runNudges(deps(), SHOP);
    expect(r.due).toBeGreaterThanOrEqual(1);
    // email failed for 3, Flow fired: the claim stays open and the next run retries the email only
    expect(flow.fired.filter((f) => f.payload.customer_id === "3")).toHaveLength(1);
    messenger.failFor.clear();
    await runNudges(deps(), SHOP);
    const cy = messenger.sent.filter((m) => m.customerId === "3");
    expect(cy).toHaveLength(1);
    expect(cy[0]!.subject).toBe("300 points (€15.00) expire on January 5, 2027");
    expect(flow.fired.filter((f) => f.payload.customer_id === "3")).toHaveLength(1);
  });

  it("later steps follow; a redeemed lot gets no more reminders; results: redeemed before expiry vs expired", async () => {
    now = at(4); // Ann's lot at T-6 → T-7; Bob at T-1 → T-2
    // Ann redeems her points after the first reminder
    await t.db.sql.query(
      `INSERT INTO "PointsRedemption" (id, shop, "customerId", "idempotencyKey", points, value, currency, code, status, "createdAt", "updatedAt") VALUES ('r1', $1, 1, 'k1', 200, 10, 'EUR', 'PTS-A', 'issued', $2, $2)`,
      [SHOP, at(3).toISOString()],
    );
    await rebuildShopLedger(t.db.sql, SHOP, now);
    messenger.sent = [];
    await runNudges(deps(), SHOP);
    // Ann still has 40 points on the lot, so T-7 goes out for those 40; Bob gets T-2
    expect(messenger.sent.map((m) => [m.customerId, m.dedupeKey])).toEqual([
      ["2", "points:2:order:2:T-2"],
      ["1", "points:1:order:1:T-7"],
    ]);
    // the 40 points left after the redemption are below one reward: no amount is promised
    expect(messenger.sent.find((m) => m.customerId === "1")!.subject).toBe("40 points expire on December 11, 2026");

    const o = await pointsOverview(t.db.sql, SHOP, at(40));
    expect(o.results.redeemed).toBe(1); // Ann
    expect(o.results.expired).toBeGreaterThanOrEqual(2); // Bob, Ed (and Cy) never redeemed
    expect(o.results.byOffset.find((x) => x.offset === 7)!.sent).toBe(3);
    expect(o.redemptions.count).toBe(2);
  });
});

describe("nudgeMessage", () => {
  it("below one whole reward names no amount", () => {
    const m = nudgeMessage({
      shopName: "Maison",
      points: 60,
      value: null,
      date: "May 1, 2027",
      basket: [],
      ctaUrl: "https://x.test/a",
      firstName: null,
    });
    expect(m.subject).toBe("60 points expire on May 1, 2027");
    expect(m.text).toContain("60 of your Maison points expire on May 1, 2027.");
    expect(m.html).not.toContain("worth");
  });
});
