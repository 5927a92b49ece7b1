import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFlowTriggers, winbackTouchPayload, pointsExpiringPayload } from "../../app/messaging/flow";
import {
  consentSyncSummary,
  requeueConsentUpdates,
  suppressCustomer,
  syncConsentToShopify,
  CONSENT_JOB,
} from "../../app/messaging/unsubscribe";
import { createAdminClient, type AdminClient } from "../../app/shopify/graphql-client";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { seedCustomer, seedShop } from "./support";

const SHOP = "messaging-emu.myshopify.com";

describe.each(databaseKinds)("messaging against the Shopify emulator (%s)", (kind) => {
  let t: TestDb;
  let emu: Emulator;
  let token: string;
  const queue = { send: async () => "job" };
  // maxAttempts 1: a throttled call fails at once, as a job attempt would, and the queue retries.
  const client = async (shop: string) =>
    createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}`, maxAttempts: 1, sleep: async () => {} });
  const inspect = async () => (await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json()) as any;
  let subscribed: number[] = [];
  const legacy = (i: number) => String(emu.shop(SHOP).customerLegacyId(i));

  beforeAll(async () => {
    t = await createTestDb(kind);
    emu = await startEmulator({
      apiKey: "msg-key",
      apiSecret: "msg-secret",
      webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 200 },
    });
    await emu.addShop(SHOP, { seed: 11, customers: 60, years: 1 });
    token = emu.issueAccessToken(SHOP);
    const s = emu.shop(SHOP);
    subscribed = [...Array(60).keys()].filter((i) => s.customerView(i).email && s.customerView(i)._emailState === "SUBSCRIBED");
    expect(subscribed.length).toBeGreaterThan(4);
    await seedShop(t.db.sql, SHOP);
  });
  afterAll(async () => {
    await emu.stop();
    await t.drop();
  });
  beforeEach(() => emu.faults.clear());

  it("messaging.consent sets UNSUBSCRIBED in Shopify (dated when the customer unsubscribed), once", async () => {
    const i = subscribed[0]!;
    const id = legacy(i);
    await seedCustomer(t.db.sql, id, { shop: SHOP, email: emu.shop(SHOP).customerView(i).email });
    const at = new Date(Date.now() - 60_000);
    await suppressCustomer({ sql: t.db.sql, queue, now: () => at }, { shop: SHOP, customerId: id, source: "one_click", campaignId: "A" });
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: id })).toBe("updated");
    expect(emu.shop(SHOP).customerView(i)._emailState).toBe("UNSUBSCRIBED");
    const changes = (await inspect()).stores.consentChanges.filter((c: any) => c.customerId === `gid://shopify/Customer/${id}`);
    // The level is required by Shopify (live 2026-04 recording: MISSING_ARGUMENT without it).
    expect(changes).toEqual([
      expect.objectContaining({
        marketingState: "UNSUBSCRIBED",
        marketingOptInLevel: "SINGLE_OPT_IN",
        consentUpdatedAt: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
      }),
    ]);
    const row = (
      await t.db.sql.query<any>(`SELECT "shopifySyncedAt", "shopifyError" FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [
        SHOP,
        id,
      ])
    )[0];
    expect(row.shopifySyncedAt).toBeInstanceOf(Date);
    expect(row.shopifyError).toBeNull();
    const local = (await t.db.sql.query<any>(`SELECT "emailConsent" FROM "Customer" WHERE shop = $1 AND id = $2`, [SHOP, id]))[0];
    expect(local.emailConsent).toBe("UNSUBSCRIBED");
    // A retried job (or a second click) does not call Shopify again.
    const before = (await inspect()).mutations.length;
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: id })).toBe("already");
    expect((await inspect()).mutations.length).toBe(before);
  });

  it("THROTTLED propagates as retryable (the queue retries) and the next attempt succeeds; userErrors are stored, not retried", async () => {
    const i = subscribed[1]!;
    const id = legacy(i);
    await seedCustomer(t.db.sql, id, { shop: SHOP });
    await suppressCustomer({ sql: t.db.sql, queue }, { shop: SHOP, customerId: id, source: "link" });
    emu.faults.throttle(SHOP, 1);
    const err = await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: id }).catch((e) => e);
    expect([err.code, err.retryable]).toEqual(["THROTTLED", true]);
    expect(emu.shop(SHOP).customerView(i)._emailState).toBe("SUBSCRIBED");
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: id })).toBe("updated");
    expect(emu.shop(SHOP).customerView(i)._emailState).toBe("UNSUBSCRIBED");

    const ghost = "999999999999";
    await seedCustomer(t.db.sql, ghost, { shop: SHOP });
    await suppressCustomer({ sql: t.db.sql, queue }, { shop: SHOP, customerId: ghost, source: "one_click" });
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: ghost })).toBe("rejected");
    const row = (
      await t.db.sql.query<any>(`SELECT "shopifySyncedAt", "shopifyError" FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`, [
        SHOP,
        ghost,
      ])
    )[0];
    expect(row.shopifySyncedAt).toBeNull();
    expect(row.shopifyError).toMatch(/Customer not found/);
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: "424242" })).toBe("gone");
  });

  it("a consent update Shopify rejects is stored (code, message, when), shown, and sent again once the cause is fixed", async () => {
    const i = subscribed[4]!;
    const id = legacy(i);
    await seedCustomer(t.db.sql, id, { shop: SHOP });
    await suppressCustomer({ sql: t.db.sql, queue }, { shop: SHOP, customerId: id, source: "one_click" });
    // The update as the app sent it before the fix (no marketingOptInLevel), through the emulator,
    // which answers as the live 2026-04 recording: userError MISSING_ARGUMENT, customer unchanged.
    const withoutLevel = async (shop: string): Promise<AdminClient> => {
      const real = await client(shop);
      return {
        shop,
        request: (doc: string, vars?: any) => {
          const { marketingOptInLevel: _drop, ...consent } = vars.input.emailMarketingConsent;
          return real.request(doc, { input: { ...vars.input, emailMarketingConsent: consent } });
        },
      } as AdminClient;
    };
    // Later than the other rejections of this shop, so it is the latest one the merchant sees.
    const rejectedAt = new Date(Date.now() + 3600_000);
    expect(await syncConsentToShopify({ sql: t.db.sql, client: withoutLevel, now: () => rejectedAt }, { shop: SHOP, customerId: id })).toBe(
      "rejected",
    );
    expect(emu.shop(SHOP).customerView(i)._emailState).toBe("SUBSCRIBED");
    const row = (
      await t.db.sql.query<any>(
        `SELECT "shopifyError", "shopifyErrorCode", "shopifyErrorAt", "shopifyAttempts", "shopifySyncedAt" FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`,
        [SHOP, id],
      )
    )[0];
    expect(row).toMatchObject({ shopifyErrorCode: "MISSING_ARGUMENT", shopifyAttempts: 1, shopifySyncedAt: null });
    expect(row.shopifyError).toContain("Marketing opt in level must exist");
    expect(new Date(row.shopifyErrorAt).toISOString()).toBe(rejectedAt.toISOString());

    const summary = await consentSyncSummary(t.db.sql, SHOP);
    expect(summary.rejected).toBeGreaterThanOrEqual(1);
    expect(summary.latest).toMatchObject({
      code: "MISSING_ARGUMENT",
      message: expect.stringContaining("Marketing opt in level must exist"),
    });

    // The daily retry skips a rejection younger than its minimum age; the merchant's Retry (minAge 0) queues it.
    const sent: Array<{ name: string; data: any; opts: any }> = [];
    const recording = { send: async (name: string, data: unknown, opts?: unknown) => (sent.push({ name, data, opts }), "job") };
    await requeueConsentUpdates({ sql: t.db.sql, queue: recording as any, now: () => new Date(rejectedAt.getTime() + 3600_000) }, SHOP, {
      minAgeMs: 20 * 3600_000,
    });
    expect(sent.filter((s) => s.data.customerId === id)).toEqual([]);
    await requeueConsentUpdates({ sql: t.db.sql, queue: recording as any }, SHOP, { minAgeMs: 0, manual: true });
    expect(sent.filter((s) => s.data.customerId === id)).toEqual([
      { name: CONSENT_JOB, data: { shop: SHOP, customerId: id }, opts: { singletonKey: `${CONSENT_JOB}:${SHOP}:${id}` } },
    ]);

    // The job with the fixed request succeeds and clears the rejection.
    expect(await syncConsentToShopify({ sql: t.db.sql, client }, { shop: SHOP, customerId: id })).toBe("updated");
    expect(emu.shop(SHOP).customerView(i)._emailState).toBe("UNSUBSCRIBED");
    const after = (
      await t.db.sql.query<any>(
        `SELECT "shopifyError", "shopifyErrorCode", "shopifyErrorAt", "shopifyAttempts" FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`,
        [SHOP, id],
      )
    )[0];
    expect(after).toEqual({ shopifyError: null, shopifyErrorCode: null, shopifyErrorAt: null, shopifyAttempts: 2 });
    const sent2: unknown[] = [];
    await requeueConsentUpdates({ sql: t.db.sql, queue: { send: async (_n: string, d: any) => (sent2.push(d), "job") } as any }, SHOP, {
      manual: true,
    });
    expect(sent2).not.toContainEqual({ shop: SHOP, customerId: id });
  });

  it("Flow triggers fire once per dedupeKey with the declared payload; a throttled attempt fails and the retry fires", async () => {
    const flow = createFlowTriggers({ sql: t.db.sql, client });
    const id = legacy(subscribed[2]!);
    const payload = winbackTouchPayload({
      customerId: id,
      campaignId: "A",
      branch: "standard",
      touchDay: 3,
      discountCode: "WINBACK-7Q2F",
      discountEndsAt: "2026-12-04T09:00:00Z",
    });
    const ev = { shop: SHOP, handle: "winback-touch", payload, dedupeKey: `flow:A:${id}:day3` };
    expect(await flow.fire(ev)).toBe("fired");
    expect(await flow.fire(ev)).toBe("duplicate");
    // Snake_case aliases from callers are mapped to the toml's keys.
    expect(await flow.fire({ ...ev, payload: { customer_id: id, campaign_id: "A", branch: "standard", touch_day: 3 } })).toBe("duplicate");
    const fired = (await inspect()).stores.flowTriggers as Array<{ handle: string; payload: any }>;
    expect(fired).toEqual([
      expect.objectContaining({
        handle: "winback-touch",
        payload: {
          customer_id: Number(id),
          "Campaign ID": "A",
          Branch: "standard",
          "Touch day": 3,
          "Discount code": "WINBACK-7Q2F",
          "Discount ends at": "2026-12-04T09:00:00.000Z",
        },
      }),
    ]);

    emu.faults.throttle(SHOP, 1);
    const nudge = {
      shop: SHOP,
      handle: "points-expiring",
      payload: pointsExpiringPayload({ customerId: id, points: 300, pointsValue: 15, expiresAt: "2027-01-10T00:00:00Z" }),
      dedupeKey: `points:${id}:lot1:T-7`,
    };
    await expect(flow.fire(nudge)).rejects.toMatchObject({ code: "THROTTLED", retryable: true });
    const failed = (
      await t.db.sql.query<any>(`SELECT status, attempts FROM "FlowTriggerLog" WHERE shop = $1 AND "dedupeKey" = $2`, [
        SHOP,
        nudge.dedupeKey,
      ])
    )[0];
    expect(failed).toEqual({ status: "failed", attempts: 1 });
    expect(await flow.fire(nudge)).toBe("fired");
    expect(await flow.fire(nudge)).toBe("duplicate");
    const log = await t.db.sql.query<any>(
      `SELECT handle, status, attempts FROM "FlowTriggerLog" WHERE shop = $1 ORDER BY "createdAt", handle`,
      [SHOP],
    );
    expect(log).toEqual([
      { handle: "winback-touch", status: "fired", attempts: 1 },
      { handle: "points-expiring", status: "fired", attempts: 2 },
    ]);
    expect(((await inspect()).stores.flowTriggers as unknown[]).length).toBe(2);
  });

  it("parallel fires of one key call Shopify once; userErrors surface as SHOPIFY_USER_ERRORS and leave the key retryable", async () => {
    const flow = createFlowTriggers({ sql: t.db.sql, client });
    const id = legacy(subscribed[3]!);
    const ev = {
      shop: SHOP,
      handle: "winback-touch",
      payload: { customer_id: id, campaign_id: "P", touch_day: 0 },
      dedupeKey: `flow:P:${id}:day0`,
    };
    const before = ((await inspect()).stores.flowTriggers as unknown[]).length;
    const res = await Promise.all([flow.fire(ev), flow.fire(ev), flow.fire(ev)]);
    expect(res.sort()).toEqual(["duplicate", "duplicate", "fired"]);
    expect(((await inspect()).stores.flowTriggers as unknown[]).length).toBe(before + 1);

    const rejecting: AdminClient = {
      shop: SHOP,
      request: async () =>
        ({
          flowTriggerReceive: { userErrors: [{ field: ["body"], message: "Errors validating schema: Invalid handle 'winback-touch'." }] },
        }) as never,
    };
    const bad = createFlowTriggers({ sql: t.db.sql, client: async () => rejecting });
    const ev2 = { ...ev, dedupeKey: `flow:P:${id}:day7` };
    await expect(bad.fire(ev2)).rejects.toMatchObject({ code: "SHOPIFY_USER_ERRORS", message: expect.stringContaining("Invalid handle") });
    expect(await flow.fire(ev2)).toBe("fired");
    await expect(flow.fire({ ...ev, dedupeKey: "x", payload: { customer_id: id, coupon: "X" } })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    expect((await t.db.sql.query(`SELECT 1 FROM "FlowTriggerLog" WHERE "dedupeKey" = 'x'`)).length).toBe(0);
  });
});
