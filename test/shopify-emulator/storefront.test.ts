import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "./index";
import { appEmbedEnabled, setAppEmbed, setStorefrontPrivacy, signProxyQuery } from "./modules/storefront";

const SHOP = "storefront-contract.myshopify.com";
const KEY = "storefront-contract-key";
const SECRET = "storefront-contract-secret";

/**
 * The emulated storefront's contract with the theme app extension (sources in
 * docs/shopify-conformance.md, ADR 102 "Visits end to end"): app embeds render only once saved on in
 * the theme editor; the logged-in customer comes from the session, never from a proxied query; the
 * Customer Privacy API is defined before the embeds' scripts; `/discount/{code}` redirects only
 * within the shop. The browser side is test/e2e/visits.test.ts.
 */
describe("emulated storefront: app embeds, customer session, privacy, discount links", () => {
  let emu: Emulator;
  let app: http.Server;
  const seen: string[] = [];
  let customer: string;

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(202, { "Content-Type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    emu = await startEmulator({ apiKey: KEY, apiSecret: SECRET, appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}` });
    await emu.addShop(SHOP, { seed: 5, customers: 3, years: 1 });
    customer = String(emu.shop(SHOP).customerLegacyId(0));
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });

  const get = (path: string, cookie = "") => fetch(`${emu.url}${path}`, { headers: { cookie }, redirect: "manual" });
  const sessionOf = (r: Response) =>
    r.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");

  it("renders no app embed until the merchant saves it on in the theme editor, which the activateAppId deep link pre-checks", async () => {
    const login = await get(`/${SHOP}/account/login?customer=${customer}`);
    expect(login.status).toBe(200);
    const jar = sessionOf(login);
    expect(await (await get(`/${SHOP}/`, jar)).text()).not.toContain("storefront-visits.js");

    const editor = await (await get(`/${SHOP}/admin/themes/current/editor?context=apps&activateAppId=${KEY}/storefront-visits`)).text();
    expect(editor).toMatch(/value="storefront-visits" checked/);
    expect(editor).toMatch(/value="points-expiry-banner">/);
    expect(appEmbedEnabled(emu.shop(SHOP), "storefront-visits")).toBe(false); // not saved yet
    // another app's id activates nothing
    expect(await (await get(`/${SHOP}/admin/themes/current/editor?context=apps&activateAppId=other/storefront-visits`)).text()).not.toMatch(
      /checked/,
    );

    const save = await fetch(`${emu.url}/${SHOP}/admin/themes/current/editor`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "embed=storefront-visits",
    });
    expect(await save.text()).toContain("Saved");
    expect(appEmbedEnabled(emu.shop(SHOP), "storefront-visits")).toBe(true);
    const page = await (await get(`/${SHOP}/`, jar)).text();
    expect(page).toContain(`src="/${SHOP}/storefront/assets/storefront-visits.js"`);
    expect(page).not.toContain("data-peb"); // the banner embed is still off
    // Shopify's global comes before the embed's deferred script
    expect(page.indexOf("w.Shopify.loadFeatures")).toBeLessThan(page.indexOf("storefront-visits.js"));
    expect((await get(`/${SHOP}/storefront/assets/storefront-visits.js`)).status).toBe(200);
    // a guest gets no visit script at all (the block renders nothing without a customer)
    expect(await (await get(`/${SHOP}/`)).text()).not.toContain("storefront-visits.js");
    setAppEmbed(emu.shop(SHOP), "storefront-visits", false);
    expect(await (await get(`/${SHOP}/`, jar)).text()).not.toContain("storefront-visits.js");
  });

  it("proxies with the session's customer, signed; a query parameter cannot choose the customer", async () => {
    const jar = sessionOf(await get(`/${SHOP}/account/login?customer=${customer}`));
    seen.length = 0;
    await fetch(`${emu.url}/${SHOP}/apps/winback/visit?logged_in_customer_id=1&shop=evil.myshopify.com`, {
      method: "POST",
      headers: { cookie: jar, "Content-Type": "application/json" },
      body: "{}",
    });
    const q = new URL(seen[0]!, "http://x").searchParams;
    expect(q.get("logged_in_customer_id")).toBe(customer);
    expect(q.get("shop")).toBe(SHOP);
    expect(q.get("path_prefix")).toBe("/apps/winback");
    expect(q.get("signature")).toBe(signProxyQuery(q, SECRET));
    // a guest (no session) is forwarded with a blank customer
    seen.length = 0;
    await fetch(`${emu.url}/${SHOP}/apps/winback/visit`, { method: "POST", body: "{}" });
    expect(new URL(seen[0]!, "http://x").searchParams.get("logged_in_customer_id")).toBe("");
  });

  it("consent is not required by default; when the shop requires it the page says so and shows a banner", async () => {
    setAppEmbed(emu.shop(SHOP), "storefront-visits", true);
    expect(await (await get(`/${SHOP}/`)).text()).toContain("var REQUIRED = false;");
    setStorefrontPrivacy(emu.shop(SHOP), { consentRequired: true });
    const page = await (await get(`/${SHOP}/`)).text();
    expect(page).toContain("var REQUIRED = true;");
    expect(page).toContain('aria-label="Cookie consent"');
    setStorefrontPrivacy(emu.shop(SHOP), { consentRequired: false });
  });

  it("/discount/{code} remembers the code and redirects home or to a path of the shop only, without the link's other parameters", async () => {
    const r = await get(`/${SHOP}/discount/COMEBACK-X1?utm_source=winback&wb=abc`);
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe(`/${SHOP}/`);
    expect(r.headers.getSetCookie().join()).toMatch(/discount_code=COMEBACK-X1/);
    expect((await get(`/${SHOP}/discount/A?redirect=/collections/all`)).headers.get("location")).toBe("/collections/all");
    expect((await get(`/${SHOP}/discount/A?redirect=//evil.example`)).headers.get("location")).toBe(`/${SHOP}/`);
    expect((await get(`/${SHOP}/discount/A?redirect=https://evil.example`)).headers.get("location")).toBe(`/${SHOP}/`);
  });
});
