import "@shopify/shopify-app-remix/adapters/node";
import {
  ApiVersion,
  AppDistribution,
  shopifyApp,
} from "@shopify/shopify-app-remix/server";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import prisma from "./db.server";
import { env } from "./env.server";
import { rewriteShopUrl } from "./shopify/admin-url";
import { onAuthenticated } from "./install.server";

const config = env();

// The library's own calls (token exchange, admin.graphql) go where SHOPIFY_ADMIN_URL_TEMPLATE says.
// `fetch` is read at call time because remix-serve installs its own global after loading the build.
setAbstractFetchFunc((input, init) =>
  fetch(rewriteShopUrl(config.SHOPIFY_ADMIN_URL_TEMPLATE, typeof input === "string" ? input : input.toString()), init),
);

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
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;
