// Test helpers for the emulator's own tests.
import { startEmulator, type Emulator, type EmulatorOptions } from "./index";

export const API_KEY = "emu-test-key";
export const API_SECRET = "emu-test-secret";
export const SHOP = "emu-test.myshopify.com";

export class FakeClock {
  constructor(public ms = Date.parse("2026-11-01T12:00:00Z")) {}
  now = () => new Date(this.ms);
  advance(ms: number) {
    this.ms += ms;
  }
}

export async function start(extra: Partial<EmulatorOptions> = {}): Promise<{ emu: Emulator; clock: FakeClock }> {
  const clock = new FakeClock();
  const emu = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, now: clock.now, ...extra });
  return { emu, clock };
}

export async function exchange(emu: Emulator, shop = SHOP, extra: Record<string, string> = {}) {
  const res = await fetch(`${emu.url}/${shop}/admin/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_id: API_KEY,
      client_secret: API_SECRET,
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: emu.mintSessionToken(shop),
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export async function gql(emu: Emulator, token: string | undefined, query: string, variables?: Record<string, unknown>, shop = SHOP) {
  const res = await fetch(`${emu.url}/${shop}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { "X-Shopify-Access-Token": token } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}
