/**
 * Environment for tests that import the app's server modules in-process. Must be imported before
 * any `app/*.server.ts` module (they read the environment once).
 */
export const TEST_APP = {
  apiKey: "winback-test-key",
  apiSecret: "winback-test-secret",
  appUrl: "https://winback.test",
  shop: "test-shop.myshopify.com",
};

export function setAppEnv(extra: Record<string, string> = {}) {
  Object.assign(process.env, {
    SHOPIFY_API_KEY: TEST_APP.apiKey,
    SHOPIFY_API_SECRET: TEST_APP.apiSecret,
    SHOPIFY_APP_URL: TEST_APP.appUrl,
    DATABASE_URL: "memory://",
    RUN_WORKERS: "false",
    ...extra,
  });
}
