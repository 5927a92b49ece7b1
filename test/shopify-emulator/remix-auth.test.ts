// The real @shopify/shopify-app-remix 6 embedded auth (token exchange, expiring offline tokens)
// against the emulator, in-process: what the app does on its first embedded load.
import "@shopify/shopify-app-remix/adapters/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { Session } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import type { Emulator } from "./index";
import { API_KEY, API_SECRET, SHOP, start } from "./helpers";

class MemorySessions {
  sessions = new Map<string, Session>();
  async storeSession(s: Session) {
    this.sessions.set(s.id, s);
    return true;
  }
  async loadSession(id: string) {
    return this.sessions.get(id);
  }
  async deleteSession(id: string) {
    this.sessions.delete(id);
    return true;
  }
  async deleteSessions(ids: string[]) {
    ids.forEach((i) => this.sessions.delete(i));
    return true;
  }
  async findSessionsByShop(shop: string) {
    return [...this.sessions.values()].filter((s) => s.shop === shop);
  }
}

describe("@shopify/shopify-app-remix embedded auth against the emulator", () => {
  let emu: Emulator;
  beforeAll(async () => {
    ({ emu } = await start({ now: () => new Date() }));
    await emu.addShop(SHOP, { seed: 4, customers: 100, years: 2 });
    setAbstractFetchFunc((input, init) => fetch(String(input).replace(/^https:\/\/([^/]+\.myshopify\.com)/, `${emu.url}/$1`), init));
  });
  afterAll(() => emu.stop());

  it("authenticates an embedded request, exchanges the token and queries the Admin API", async () => {
    const storage = new MemorySessions();
    let afterAuthShop = "";
    const shopify = shopifyApp({
      apiKey: API_KEY,
      apiSecretKey: API_SECRET,
      apiVersion: ApiVersion.October26,
      scopes: ["read_orders"],
      appUrl: "http://localhost:3999",
      authPathPrefix: "/auth",
      sessionStorage: storage as any,
      distribution: AppDistribution.AppStore,
      isEmbeddedApp: true,
      future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true } as any,
      hooks: {
        afterAuth: async ({ session }) => {
          afterAuthShop = session.shop;
        },
      },
      logger: { level: 0 } as any,
    });
    const host = Buffer.from(`admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}`).toString("base64url");
    const req = new Request(`http://localhost:3999/app?embedded=1&shop=${SHOP}&host=${host}&id_token=${emu.mintSessionToken(SHOP)}`);
    const { admin, session } = await shopify.authenticate.admin(req);
    expect(afterAuthShop).toBe(SHOP);
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.refreshToken).toMatch(/^shprt_/);
    const res = await admin.graphql(`#graphql
      query { shop { myshopifyDomain } ordersCount(limit: null) { count precision } }`);
    const json = (await res.json()) as any;
    expect(json.data).toEqual({ shop: { myshopifyDomain: SHOP }, ordersCount: { count: emu.shop(SHOP).orderCount(), precision: "EXACT" } });

    // A later fetch from the embedded page: Authorization: Bearer <session token> (the App Bridge fetch patch).
    const again = await shopify.authenticate.admin(
      new Request("http://localhost:3999/app/segments", { headers: { Authorization: `Bearer ${emu.mintSessionToken(SHOP)}` } }),
    );
    expect(again.session.id).toBe(session.id);
  });
});
