import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../shopify-emulator";
import { findDiscountByCode } from "../shopify-emulator/modules/discounts";
import { setAppEmbed, signProxyQuery } from "../shopify-emulator/modules/storefront";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { turnPointsOnForTest } from "./support";

/**
 * The app proxy end to end, in-process: the emulator's storefront forwards /apps/winback/* with
 * Shopify's signed query to a tiny HTTP server that hands the request to the app's Remix routes
 * (proxy.redeem / proxy.points), verified by authenticate.public.appProxy.
 */
const SHOP = TEST_APP.shop;
let appServer: http.Server;
const appPort = await new Promise<number>((resolve) => {
  appServer = http.createServer();
  appServer.listen(0, "127.0.0.1", () => resolve((appServer.address() as AddressInfo).port));
});
const appUrl = `http://127.0.0.1:${appPort}`;
const emu = await startEmulator({ apiKey: TEST_APP.apiKey, apiSecret: TEST_APP.apiSecret, appUrl });
setAppEnv({ SHOPIFY_ADMIN_URL_TEMPLATE: `${emu.url}/{shop}`, SHOPIFY_APP_URL: appUrl });

const { action: redeemAction, loader: redeemLoader } = await import("../../app/routes/proxy.redeem");
const { loader: pointsLoader } = await import("../../app/routes/proxy.points");
const { database } = await import("../../app/db.server");
const { rebuildShopLedger, loadLedgerRows } = await import("../../app/points/store");
const { ensureLoyaltyDefinitions, syncLoyaltyMetafields } = await import("../../app/points/publish-metafields");
const { createAdminClient } = await import("../../app/shopify/graphql-client");

async function toResponse(p: Promise<Response> | Response): Promise<Response> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
}

appServer!.on("request", async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = `${appUrl}${req.url}`;
  const request = new Request(url, {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
  });
  const path = new URL(url).pathname;
  const args = { request, params: {}, context: {} };
  const r = await toResponse(
    path === "/proxy/redeem"
      ? req.method === "POST"
        ? redeemAction(args)
        : redeemLoader(args)
      : path === "/proxy/points"
        ? pointsLoader(args)
        : new Response("not found", { status: 404 }),
  );
  res.writeHead(r.status, Object.fromEntries(r.headers));
  res.end(Buffer.from(await r.arrayBuffer()));
});

const jar = () => {
  let cookie = "";
  return {
    async get(path: string) {
      const r = await fetch(`${emu.url}${path}`, { headers: { cookie } });
      const set = r.headers.getSetCookie();
      if (set.length) cookie = set.map((c) => c.split(";")[0]).join("; ");
      return r;
    },
    post(path: string, body: unknown, headers: Record<string, string> = {}) {
      return fetch(`${emu.url}${path}`, {
        method: "POST",
        headers: { cookie, "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    },
  };
};

describe("app proxy redemption and the storefront banner (emulator → app routes)", () => {
  let customer: string;
  let other: string;
  beforeAll(async () => {
    await emu.addShop(SHOP, { seed: 9, customers: 5, years: 1 });
    const token = emu.issueAccessToken(SHOP);
    await database.ready();
    await database.sql.query(
      `INSERT INTO "Session" (id, shop, state, "isOnline", scope, "accessToken") VALUES ($1, $2, '', false, $3, $4)`,
      [`offline_${SHOP}`, SHOP, "read_orders,write_customers,write_discounts,read_discounts,read_customers", token],
    );
    const s = emu.shop(SHOP);
    setAppEmbed(s, "points-expiry-banner", true); // the merchant activated the app embed in the theme editor
    customer = String(s.customerLegacyId(1));
    other = String(s.customerLegacyId(2));
    const placed = new Date(Date.now() - 360 * 86_400_000).toISOString(); // lot expires in ~5 days
    await database.sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, 1, $2, $3, $3, $3, 260, 260, 'USD'), ($1, 2, $4, now(), now(), now(), 80, 80, 'USD')`,
      [SHOP, customer, placed, other],
    );
    await turnPointsOnForTest(database.sql, SHOP);
    await rebuildShopLedger(database.sql, SHOP, new Date());
    const client = createAdminClient({ shop: SHOP, accessToken: token, urlTemplate: `${emu.url}/{shop}` });
    await ensureLoyaltyDefinitions(client);
    await syncLoyaltyMetafields({ sql: database.sql, client, now: new Date() }, SHOP);
  }, 240_000);
  afterAll(async () => {
    await emu.stop();
    appServer.close();
  });

  it("the storefront renders the banner for a customer with points expiring, nothing for a guest or a customer with nothing expiring soon", async () => {
    const b = jar();
    const page = await (await b.get(`/${SHOP}/storefront?customer=${customer}`)).text();
    expect(page).toContain("data-peb");
    expect(page).toMatch(/260 points/);
    expect(page).toContain(`/${SHOP}/storefront/assets/points-expiry-banner.js`);
    expect((await b.get(`/${SHOP}/storefront/assets/points-expiry-banner.js`)).status).toBe(200);
    expect(await (await jar().get(`/${SHOP}/storefront`)).text()).not.toContain("data-peb");
    expect(await (await jar().get(`/${SHOP}/storefront?customer=${other}`)).text()).not.toContain("data-peb"); // expires in a year
  });

  it("redeems through the signed proxy as the logged-in customer; a replay returns the same code", async () => {
    const b = jar();
    await b.get(`/${SHOP}/storefront?customer=${customer}`);
    const r = await b.post("/apps/winback/redeem", { points: 260, idempotencyKey: "storefront-key-1" });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body).toMatchObject({ points: 200, value: 10, balance: 60, replayed: false });
    expect(findDiscountByCode(emu.shop(SHOP), body.code)?.context).toEqual({
      kind: "customers",
      ids: [`gid://shopify/Customer/${customer}`],
    });
    const again = (await (
      await b.post("/apps/winback/redeem", { points: 260 }, { "X-Idempotency-Key": "storefront-key-1" })
    ).json()) as any;
    expect(again).toMatchObject({ code: body.code, replayed: true, balance: 60 });
    const points = (await (await b.get("/apps/winback/points")).json()) as any;
    expect(points).toMatchObject({ balance: 60, currencyCode: "USD" });
    const log = emu.shop(SHOP).stores.appProxy as any[];
    expect(log.map((l) => [l.method, l.path, l.loggedInCustomerId, l.status])).toContainEqual([
      "POST",
      "/apps/winback/redeem",
      customer,
      200,
    ]);
  });

  it("a guest cannot redeem (401); a forged or missing signature is rejected (400) and redeems nothing", async () => {
    const guest = jar();
    await guest.get(`/${SHOP}/storefront`);
    expect((await guest.post("/apps/winback/redeem", { points: 100, idempotencyKey: "guest-key-1" })).status).toBe(401);

    const before = (await loadLedgerRows(database.sql, SHOP, { customerIds: [other] }))[0]!.balance;
    const params = new URLSearchParams({
      shop: SHOP,
      logged_in_customer_id: other,
      path_prefix: "/apps/winback",
      timestamp: String(Math.floor(Date.now() / 1000)),
    });
    params.set("signature", signProxyQuery(params, "not-the-app-secret"));
    const post = (q: URLSearchParams) =>
      toResponse(
        redeemAction({
          request: new Request(`${appUrl}/proxy/redeem?${q}`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ points: 100, idempotencyKey: "forged-key-1" }),
          }),
          params: {},
          context: {},
        }),
      );
    expect((await post(params)).status).toBe(400);
    // a genuine signature with the customer swapped afterwards
    const genuine = new URLSearchParams(params);
    genuine.set("logged_in_customer_id", customer);
    genuine.set("signature", signProxyQuery(genuine, TEST_APP.apiSecret));
    genuine.set("logged_in_customer_id", other);
    expect((await post(genuine)).status).toBe(400);
    params.delete("signature");
    expect((await post(params)).status).toBe(400);
    expect((await loadLedgerRows(database.sql, SHOP, { customerIds: [other] }))[0]!.balance).toBe(before);
    // correctly signed, as Shopify would: accepted
    const ok = new URLSearchParams(params);
    ok.set("signature", signProxyQuery(ok, TEST_APP.apiSecret));
    expect((await post(ok)).status).toBe(400); // 80 points: fewer than one reward, a clean 400 with a message
    const msg = (await (await post(ok)).json()) as any;
    expect(msg).toEqual({ error: "Not enough points.", code: "INVALID_INPUT" });
  });
});

describe("the proxy in the shop's language, and while points are off", () => {
  const setSection = (section: string, value: unknown) =>
    database.sql.query(
      `UPDATE "Shop" SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), ARRAY[$2::text], $3::jsonb, true) WHERE domain = $1`,
      [SHOP, section, JSON.stringify(value)],
    );
  const signed = (customerId: string) => {
    const q = new URLSearchParams({
      shop: SHOP,
      logged_in_customer_id: customerId,
      path_prefix: "/apps/winback",
      timestamp: String(Math.floor(Date.now() / 1000)),
    });
    q.set("signature", signProxyQuery(q, TEST_APP.apiSecret));
    return q;
  };
  const redeem = (customerId: string, points: number, key: string) =>
    toResponse(
      redeemAction({
        request: new Request(`${appUrl}/proxy/redeem?${signed(customerId)}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ points, idempotencyKey: key }),
        }),
        params: {},
        context: {},
      }),
    );
  const points = (customerId: string) =>
    toResponse(pointsLoader({ request: new Request(`${appUrl}/proxy/points?${signed(customerId)}`), params: {}, context: {} }));

  it("a French shop's shoppers read French answers", async () => {
    const someone = String(emu.shop(SHOP).customerLegacyId(2));
    await setSection("messaging", { locale: "fr" });
    try {
      const r = await redeem(someone, 100, "french-key-0001");
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: "Points insuffisants.", code: "INVALID_INPUT" });
      const guest = await toResponse(
        pointsLoader({ request: new Request(`${appUrl}/proxy/points?${signed("")}`), params: {}, context: {} }),
      );
      expect(await guest.json()).toEqual({ error: "Connectez-vous pour voir vos points." });
    } finally {
      await setSection("messaging", {});
    }
  });

  it("points off: no balance and no reward for anyone (404), whatever a stale banner offers", async () => {
    const someone = String(emu.shop(SHOP).customerLegacyId(1));
    const before = await database.sql.query(`SELECT count(*)::int AS n FROM "PointsRedemption"`);
    const { loadPointsSettings } = await import("../../app/points/store");
    const program = (await loadPointsSettings(database.sql, SHOP)).program;
    await database.sql.query(`UPDATE "Shop" SET settings = jsonb_set(settings, '{points,program,enabled}', 'false') WHERE domain = $1`, [
      SHOP,
    ]);
    try {
      const p = await points(someone);
      expect(p.status).toBe(404);
      expect(await p.json()).toEqual({ error: "Points are not available in this shop.", code: "NOT_FOUND" });
      const r = await redeem(someone, 60, "points-off-key-01");
      expect(r.status).toBe(404);
      expect(await database.sql.query(`SELECT count(*)::int AS n FROM "PointsRedemption"`)).toEqual(before);
    } finally {
      await database.sql.query(`UPDATE "Shop" SET settings = jsonb_set(settings, '{points,program}', $2::jsonb) WHERE domain = $1`, [
        SHOP,
        JSON.stringify(program),
      ]);
    }
  });
});

describe("turning points on and off from the Points page", () => {
  it("asks whether past orders earn, turns on and off, and queues the sync that writes or clears the storefront", async () => {
    const { handlePointsAction } = await import("../../app/points/page.server");
    const { appContext } = await import("../../app/app.server");
    const { loadPointsSettings } = await import("../../app/points/store");
    const SHOP2 = "points-switch.myshopify.com";
    await database.sql.query(`INSERT INTO "Shop" (domain, "updatedAt") VALUES ($1, now()) ON CONFLICT (domain) DO NOTHING`, [SHOP2]);
    const form = (o: Record<string, string>) => {
      const f = new FormData();
      for (const [k, v] of Object.entries(o)) f.set(k, v);
      return f;
    };
    const missing = await handlePointsAction(appContext, SHOP2, form({ intent: "turn-on" }));
    expect(missing).toMatchObject({
      status: 400,
      result: { intent: "turn-on", ok: false, errors: { form: expect.stringMatching(/past orders/) } },
    });
    expect((await loadPointsSettings(database.sql, SHOP2)).program.enabled).toBe(false);
    const on = await handlePointsAction(appContext, SHOP2, form({ intent: "turn-on", pastOrders: "no" }));
    expect(on).toEqual({ status: 200, result: { intent: "turn-on", ok: true, enabled: true } });
    const program = (await loadPointsSettings(database.sql, SHOP2)).program;
    expect(program.enabled).toBe(true);
    expect(program.earnFrom).not.toBeNull();
    const off = await handlePointsAction(appContext, SHOP2, form({ intent: "turn-off" }));
    expect(off).toEqual({ status: 200, result: { intent: "turn-off", ok: true, enabled: false } });
    const jobs = await database.sql.query<{ payload: any; singletonKey: string }>(
      `SELECT payload, "singletonKey" FROM "Job" WHERE queue = 'points.sync' AND payload->>'shop' = $1 ORDER BY "createdAt"`,
      [SHOP2],
    );
    // One rebuild for turning on, one plain sync (it clears the storefront) for turning off, each under its own key.
    expect(jobs.map((j) => j.payload)).toHaveLength(2);
    expect(jobs.map((j) => j.payload)).toEqual(expect.arrayContaining([{ shop: SHOP2, rebuild: true }, { shop: SHOP2 }]));
  });
});

describe("saving the Points settings", () => {
  it("stores the section and queues a ledger rebuild + metafield sync under its own key; a bad form changes nothing", async () => {
    const { savePointsSettingsForm } = await import("../../app/points/page.server");
    const { appContext } = await import("../../app/app.server");
    const { loadPointsSettings } = await import("../../app/points/store");
    await database.sql.query(`INSERT INTO "Shop" (domain, "updatedAt") VALUES ($1, now()) ON CONFLICT (domain) DO NOTHING`, [SHOP]);
    const form = (o: Record<string, string>) => {
      const f = new FormData();
      for (const [k, v] of Object.entries({
        pointsPerUnit: "2",
        lotLifetimeDays: "180",
        ratePoints: "200",
        rateValue: "10",
        nudgeOffsetsDays: "10, 3",
        bannerWindowDays: "7",
        ...o,
      }))
        f.set(k, v);
      return f;
    };
    expect(await savePointsSettingsForm(appContext, SHOP, form({ lotLifetimeDays: "-1" }))).toMatchObject({
      ok: false,
      errors: { lotLifetimeDays: expect.any(String) },
    });
    expect((await loadPointsSettings(database.sql, SHOP)).lotLifetimeDays).toBe(365);
    const program = (await loadPointsSettings(database.sql, SHOP)).program;
    expect(await savePointsSettingsForm(appContext, SHOP, form({}))).toMatchObject({ ok: true });
    // The program state (on/off, earning start) is not the form's: saving keeps it.
    expect(await loadPointsSettings(database.sql, SHOP)).toEqual({
      pointsPerUnit: 2,
      lotLifetimeDays: 180,
      redemptionRate: { points: 200, value: 10 },
      nudgeOffsetsDays: [10, 3],
      bannerWindowDays: 7,
      program,
    });
    const jobs = await database.sql.query<{ queue: string; payload: any; singletonKey: string }>(
      `SELECT queue, payload, "singletonKey" FROM "Job" WHERE queue = 'points.sync'`,
    );
    expect(jobs).toContainEqual({
      queue: "points.sync",
      payload: { shop: SHOP, rebuild: true },
      singletonKey: `points.sync:${SHOP}:rebuild`,
    });
  });
});
