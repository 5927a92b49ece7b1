import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../shopify-emulator";
import { appRequest, setAppEnv, settle, TEST_APP } from "../support/app-env";

// The app's real embedded auth (token exchange, afterAuth) against the emulator, in-process.
const emu = await startEmulator({ apiKey: TEST_APP.apiKey, apiSecret: TEST_APP.apiSecret });
setAppEnv({ SHOPIFY_ADMIN_URL_TEMPLATE: `${emu.url}/{shop}` });

const { loader: appLoader } = await import("../../app/routes/app");
const { database } = await import("../../app/db.server");

const SHOP = TEST_APP.shop;

beforeAll(async () => {
  await emu.addShop(SHOP, { seed: 3, customers: 5, years: 1, currencyCode: "EUR" });
  await database.ready();
});
afterAll(() => emu.stop());

const shopRow = () => database.prisma.shop.findUnique({ where: { domain: SHOP } });
const syncJobs = () => database.prisma.job.count({ where: { queue: "sync.start", payload: { path: ["shop"], equals: SHOP } } });

describe("shop initialisation on every authenticated load", () => {
  it("a Shopify 503 during install leaves the page working, and the next load sets the shop up (facts and first sync)", async () => {
    // Two failures: the install hook (afterAuth) and the same load's retry both meet a 503.
    emu.faults.httpError(SHOP, 503, 2);
    const first = await settle(appLoader({ request: appRequest("/app"), params: {}, context: {} }));
    expect(first.status).toBe(200);
    expect(await database.prisma.session.count({ where: { shop: SHOP } })).toBe(1); // the library stored the session
    expect(await shopRow()).toBeNull();
    expect(await syncJobs()).toBe(0);

    const second = await settle(appLoader({ request: appRequest("/app"), params: {}, context: {} }));
    expect(second.status).toBe(200);
    const shop = await shopRow();
    expect(shop).toMatchObject({ domain: SHOP, currencyCode: "EUR", uninstalledAt: null });
    expect(shop?.initializedAt).toBeInstanceOf(Date);
    expect(await syncJobs()).toBe(1);
  });

  it("an initialised shop costs no Admin API call on later loads (one indexed read)", async () => {
    emu.faults.httpError(SHOP, 503, 1); // consumed by the first Admin API call anyone makes
    const r = await settle(appLoader({ request: appRequest("/app"), params: {}, context: {} }));
    expect(r.status).toBe(200);
    // The fault is still pending: the load made no Admin API call.
    const probe = await fetch(`${emu.url}/${SHOP}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": emu.issueAccessToken(SHOP) },
      body: JSON.stringify({ query: "{ shop { name } }" }),
    });
    expect(probe.status).toBe(503);
    expect(await syncJobs()).toBe(1);
  });
});
