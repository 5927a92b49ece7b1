import { mintSessionToken } from "../shopify-emulator/auth";

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

/**
 * A request to one of the app's routes as the admin iframe sends it: a fresh session token (the
 * emulator's own minting) in `Authorization`, unless `token: false`; `form` becomes a POST body.
 */
export function appRequest(path: string, init: { method?: string; form?: Record<string, string>; token?: boolean } = {}): Request {
  const headers: Record<string, string> = {};
  if (init.token !== false)
    headers.Authorization = `Bearer ${mintSessionToken(TEST_APP.shop, TEST_APP.apiKey, TEST_APP.apiSecret, Date.now() - 5_000)}`;
  return new Request(`${TEST_APP.appUrl}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.form ? { body: new URLSearchParams(init.form) } : {}),
  });
}

/** A loader/action's answer, whether it returned a Response or threw one (redirects, 4xx). */
export async function settle(p: Promise<unknown>): Promise<Response> {
  try {
    return (await p) as Response;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}
