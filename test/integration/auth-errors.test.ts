import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../shopify-emulator";
import { setAppEnv, settle, TEST_APP } from "../support/app-env";

const emu = await startEmulator({ apiKey: TEST_APP.apiKey, apiSecret: TEST_APP.apiSecret });
setAppEnv({ SHOPIFY_ADMIN_URL_TEMPLATE: `${emu.url}/{shop}` });

const { loader: appLoader } = await import("../../app/routes/app");
const { loader: authLoader } = await import("../../app/routes/auth.$");
const { database } = await import("../../app/db.server");

beforeAll(async () => {
  await database.ready();
});
afterAll(() => emu.stop());

/** A session token signed with the app's real secret (so it passes the signature check). */
function signedToken(dest: string) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = b64({ alg: "HS256", typ: "JWT" });
  const payload = b64({
    iss: `${dest}/admin`,
    dest,
    aud: TEST_APP.apiKey,
    sub: "42",
    exp: now + 60,
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
  });
  const sig = createHmac("sha256", TEST_APP.apiSecret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

async function statusBody(p: Promise<unknown>) {
  const r = await settle(p);
  return { status: r.status, body: await r.text() };
}

describe("client errors on the auth boundary answer 4xx, not 500", () => {
  it("a validly signed session token for a non-myshopify dest", async () => {
    const req = new Request(`${TEST_APP.appUrl}/app`, { headers: { Authorization: `Bearer ${signedToken("https://evil.example.com")}` } });
    const r = await statusBody(appLoader({ request: req, params: {}, context: {} }));
    expect(r).toEqual({ status: 400, body: "The session token does not name a valid shop" });
  });

  it("a validly signed session token for a shop that never installed the app", async () => {
    const req = new Request(`${TEST_APP.appUrl}/app`, {
      headers: { Authorization: `Bearer ${signedToken("https://never-installed.myshopify.com")}` },
    });
    // The emulator answers the token exchange for a shop it does not know with 404.
    const r = await statusBody(appLoader({ request: req, params: {}, context: {} }));
    expect(r).toEqual({ status: 401, body: "Shopify refused the token exchange: the app is not installed on this shop" });
    expect(await database.prisma.session.count({ where: { shop: "never-installed.myshopify.com" } })).toBe(0);
  });

  it("exit-iframe to a foreign URL", async () => {
    const url = `${TEST_APP.appUrl}/auth/exit-iframe?shop=${TEST_APP.shop}&host=${Buffer.from("admin.shopify.com/store/test-shop").toString("base64url")}&exitIframe=${encodeURIComponent("https://evil.example.com/phish")}`;
    const r = await statusBody(authLoader({ request: new Request(url), params: { "*": "exit-iframe" }, context: {} }));
    expect(r).toEqual({ status: 400, body: "Refusing to redirect to that destination" });
  });
});
