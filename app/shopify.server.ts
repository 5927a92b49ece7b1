import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { InvalidShopError } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { AsyncLocalStorage } from "node:async_hooks";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import prisma from "./db.server";
import { env } from "./env.server";
import { rewriteShopUrl } from "./shopify/admin-url";

const config = env();

/** What runs after each token exchange (install, reinstall, token refresh): the shop's initialisation. */
export type AfterAuthHandler = (input: {
  shop: string;
  scope?: string;
  admin: { graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response> };
}) => Promise<void>;

declare global {
  var __winbackAfterAuth: AfterAuthHandler | undefined;
}

/**
 * The composition root (app/app.server.ts) registers the shop initialisation here. This file is
 * Shopify's library configuration and imports no feature: the hook is handed in, not imported
 * (install → webhook handlers → sync → Admin client → this file would be a cycle). Kept on
 * globalThis so a re-evaluated module (dev reload) still finds it.
 */
export function setAfterAuthHandler(handler: AfterAuthHandler): void {
  globalThis.__winbackAfterAuth = handler;
}

// The library's own calls (token exchange, admin.graphql) go where SHOPIFY_ADMIN_URL_TEMPLATE says.
// `fetch` is read at call time because remix-serve installs its own global after loading the build.
// Token exchange answers seen while authenticating one admin request (see authenticateAdmin).
const adminAuthContext = new AsyncLocalStorage<{ tokenExchangeStatus?: number }>();
setAbstractFetchFunc(async (input, init) => {
  const url = typeof input === "string" ? input : input.toString();
  const res = await fetch(rewriteShopUrl(config.SHOPIFY_ADMIN_URL_TEMPLATE, url), init);
  const ctx = adminAuthContext.getStore();
  if (ctx && /\/admin\/oauth\/access_token(\?|$)/.test(new URL(url).pathname)) ctx.tokenExchangeStatus = res.status;
  return res;
});

const shopify = shopifyApp({
  apiKey: config.SHOPIFY_API_KEY,
  apiSecretKey: config.SHOPIFY_API_SECRET,
  apiVersion: ApiVersion.October26,
  scopes: config.SCOPES.split(","),
  appUrl: config.SHOPIFY_APP_URL,
  authPathPrefix: "/auth",
  sessionStorage: new PrismaSessionStorage(prisma),
  distribution: AppDistribution.AppStore,
  future: {
    unstable_newEmbeddedAuthStrategy: true,
    expiringOfflineAccessTokens: true,
  },
  hooks: {
    afterAuth: async ({ session, admin }) => {
      // The library has stored the offline session already and never calls this hook again for it:
      // a failure (one 503 from Shopify) must not fail the merchant's page. app.tsx's ensureShop
      // finishes the initialisation on this load or the next.
      const onAuthenticated = globalThis.__winbackAfterAuth;
      if (!onAuthenticated) {
        console.error(`[install] no afterAuth handler registered for ${session.shop}; ensureShop initialises the shop`);
        return;
      }
      try {
        await onAuthenticated({ shop: session.shop, scope: session.scope, admin });
      } catch (e) {
        console.error(`[install] afterAuth for ${session.shop} failed; ensureShop retries`, e);
      }
    },
  },
  ...(config.SHOP_CUSTOM_DOMAIN ? { customShopDomains: [config.SHOP_CUSTOM_DOMAIN] } : {}),
});

export default shopify;
export const apiVersion = ApiVersion.October26;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;

const clientError = (status: number, message: string) =>
  new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });

/**
 * authenticate.admin with client errors answered as such. The library throws a plain error (a 500)
 * for a validly signed session token whose `dest` is no shop domain and for an exit-iframe
 * redirect it refuses, and a bare 500 when Shopify refuses the token exchange (a shop that never
 * installed the app: Shopify answers 4xx). Each of these is the caller's fault: 400 or 401, with a
 * short message and no stack. A Shopify outage during the exchange (5xx, network) stays a 500.
 */
async function authenticateAdmin(request: Request) {
  const ctx: { tokenExchangeStatus?: number } = {};
  try {
    return await adminAuthContext.run(ctx, () => shopify.authenticate.admin(request));
  } catch (e) {
    if (e instanceof Response) {
      if (e.status === 500 && ctx.tokenExchangeStatus !== undefined && ctx.tokenExchangeStatus >= 400 && ctx.tokenExchangeStatus < 500) {
        throw clientError(401, "Shopify refused the token exchange: the app is not installed on this shop");
      }
      throw e;
    }
    if (e instanceof InvalidShopError) throw clientError(400, "The session token does not name a valid shop");
    // The library's only signal for a refused exit-iframe destination is this message.
    if (e instanceof Error && e.message.startsWith("Invalid exit-iframe destination"))
      throw clientError(400, "Refusing to redirect to that destination");
    throw e;
  }
}

export const authenticate = { ...shopify.authenticate, admin: authenticateAdmin } as typeof shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;
