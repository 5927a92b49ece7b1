import "@shopify/shopify-api/adapters/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiVersion, RequestedTokenType, shopifyApi } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { signJwt } from "./auth";
import type { Emulator } from "./index";
import { API_KEY, API_SECRET, FakeClock, SHOP, exchange, gql, start } from "./helpers";

describe("auth: access tokens, token exchange, refresh", () => {
  let emu: Emulator;
  let clock: FakeClock;
  beforeAll(async () => {
    ({ emu, clock } = await start());
    await emu.addShop(SHOP, { seed: 1, customers: 20 });
  });
  afterAll(() => emu.stop());

  it("rejects Admin API calls without or with an unknown token (401, Shopify's body)", async () => {
    for (const t of [undefined, "shpat_forged"]) {
      const { status, body } = await gql(emu, t, "{ shop { name } }");
      expect(status).toBe(401);
      expect(body).toEqual({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
    }
  });

  it("rejects a wrong client secret, a forged JWT, an expired JWT and a JWT for another shop", async () => {
    expect((await exchange(emu, SHOP, { client_secret: "nope" })).status).toBe(401);
    const forged = signJwt(
      {
        iss: `https://${SHOP}/admin`,
        dest: `https://${SHOP}`,
        aud: API_KEY,
        sub: "1",
        exp: clock.ms / 1000 + 60,
        nbf: clock.ms / 1000 - 1,
      },
      "not-the-secret",
    );
    const r1 = await exchange(emu, SHOP, { subject_token: forged });
    expect(r1.status).toBe(400);
    expect(r1.body.error).toBe("invalid_subject_token");
    const expired = emu.mintSessionToken(SHOP, { expOffsetSec: -120 });
    expect((await exchange(emu, SHOP, { subject_token: expired })).status).toBe(400);
    await emu.addShop("other-shop.myshopify.com", { seed: 2, customers: 5 });
    const r3 = await exchange(emu, "other-shop.myshopify.com", { subject_token: emu.mintSessionToken(SHOP) }); // dest mismatch
    expect(r3.status).toBe(400);
  });

  it("works end to end with @shopify/shopify-api 15 (expiring offline token, refresh, online token)", async () => {
    setAbstractFetchFunc((input, init) => fetch(String(input).replace(/^https:\/\/([^/]+\.myshopify\.com)/, `${emu.url}/$1`), init));
    const api = shopifyApi({
      apiKey: API_KEY,
      apiSecretKey: API_SECRET,
      apiVersion: ApiVersion.October26,
      hostName: "localhost:3000",
      isEmbeddedApp: true,
      scopes: ["read_orders"],
      logger: { level: 0 },
      future: {} as any,
    });
    // jose verifies exp against the real clock: mint with the real time.
    const realToken = (await import("./auth")).mintSessionToken(SHOP, API_KEY, API_SECRET, Date.now());
    clock.ms = Date.now();
    const { session } = await api.auth.tokenExchange({
      shop: SHOP,
      sessionToken: realToken,
      requestedTokenType: RequestedTokenType.OfflineAccessToken,
      expiring: true,
    } as any);
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.refreshToken).toMatch(/^shprt_/);
    expect(session.expires!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(session.scope).toContain("read_all_orders");
    const client = new api.clients.Graphql({ session });
    const res = await client.request(`{ shop { myshopifyDomain } }`);
    expect(res.data).toEqual({ shop: { myshopifyDomain: SHOP } });

    const refreshed = await api.auth.refreshToken({ shop: SHOP, refreshToken: session.refreshToken! });
    expect(refreshed.session.accessToken).not.toBe(session.accessToken);
    // the old refresh token still works until the new access token is used...
    expect((await api.auth.refreshToken({ shop: SHOP, refreshToken: session.refreshToken! })).session.accessToken).toMatch(/^shpat_/);

    const online = await api.auth.tokenExchange({
      shop: SHOP,
      sessionToken: realToken,
      requestedTokenType: RequestedTokenType.OnlineAccessToken,
    });
    expect(online.session.isOnline).toBe(true);
    expect(online.session.onlineAccessInfo?.associated_user.id).toBe(70000001);
  });

  it("expires expiring offline tokens after an hour on the injected clock", async () => {
    clock.ms = Date.parse("2026-11-01T12:00:00Z");
    const { body } = await exchange(emu, SHOP, { expiring: "1" });
    expect(body).toMatchObject({ expires_in: 3600, refresh_token_expires_in: 7776000 });
    expect((await gql(emu, body.access_token, "{ shop { name } }")).status).toBe(200);
    clock.advance(3600_000);
    expect((await gql(emu, body.access_token, "{ shop { name } }")).status).toBe(401);
    const form = await fetch(`${emu.url}/${SHOP}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: API_KEY,
        client_secret: API_SECRET,
        grant_type: "refresh_token",
        refresh_token: body.refresh_token,
      }),
    });
    const fresh = (await form.json()) as any;
    expect(form.status).toBe(200);
    expect((await gql(emu, fresh.access_token, "{ shop { name } }")).status).toBe(200);
  });

  it("revokes tokens on uninstall", async () => {
    const { body } = await exchange(emu);
    emu.uninstall(SHOP);
    expect((await gql(emu, body.access_token, "{ shop { name } }")).status).toBe(401);
    const again = await exchange(emu);
    expect((await gql(emu, again.body.access_token, "{ shop { name } }")).status).toBe(200);
  });
});
