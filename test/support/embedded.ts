import type { Browser } from "playwright-core";
import { buildApp, freePort, startAppServer, type AppServer } from "./app-server";
import { launchBrowser } from "./browser";
import { startEmulator, type Emulator, type EmulatorOptions, type SeedOptions } from "../shopify-emulator";

/** The app's environment pointing at an emulator: the only difference from production is configuration. */
export function emulatorAppEnv(emulator: Emulator, creds: { apiKey: string; apiSecret: string; appUrl: string }): Record<string, string> {
  return {
    SHOPIFY_API_KEY: creds.apiKey,
    SHOPIFY_API_SECRET: creds.apiSecret,
    SHOPIFY_APP_URL: creds.appUrl,
    SHOPIFY_ADMIN_URL_TEMPLATE: `${emulator.url}/{shop}`,
    APP_BRIDGE_URL: `${emulator.url}/app-bridge.js`,
    ADMIN_FRAME_ORIGINS: emulator.url,
  };
}

export interface EmbeddedStack {
  emulator: Emulator;
  app: AppServer;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * What every browser test starts from: the production build served against a fresh emulator with
 * one generated shop, an in-memory (or given) database, fast job polling, and Chromium.
 */
export async function startEmbeddedStack(opts: {
  shop: string;
  apiKey: string;
  apiSecret: string;
  seed: SeedOptions;
  emulator?: Partial<EmulatorOptions>;
  databaseUrl?: string;
}): Promise<EmbeddedStack> {
  buildApp();
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startEmulator({ apiKey: opts.apiKey, apiSecret: opts.apiSecret, appUrl, ...opts.emulator });
  await emulator.addShop(opts.shop, opts.seed);
  const app = await startAppServer({
    port: appPort,
    env: {
      ...emulatorAppEnv(emulator, { apiKey: opts.apiKey, apiSecret: opts.apiSecret, appUrl }),
      DATABASE_URL: opts.databaseUrl ?? "memory://",
      JOB_POLL_MS: "100",
    },
  });
  const browser = await launchBrowser();
  return {
    emulator,
    app,
    browser,
    async close() {
      await browser.close();
      await app.stop();
      await emulator.stop();
    },
  };
}
