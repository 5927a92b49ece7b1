/**
 * assets/storefront-visits.js without a browser (ADR 102): the script runs in a vm context against
 * a fake window with Shopify's Customer Privacy API (loaded the documented way,
 * `Shopify.loadFeatures([{ name: "consent-tracking-api", version: "0.1" }], cb)`, then
 * `Shopify.customerPrivacy.analyticsProcessingAllowed()`; shopify.dev/docs/api/customer-privacy).
 * The rule under test: nothing leaves the page unless analytics processing is allowed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { EXTENSION_ROOT } from "./render-embed";

const JS = readFileSync(join(EXTENSION_ROOT, "assets/storefront-visits.js"), "utf8");
const BLOCK = readFileSync(join(EXTENSION_ROOT, "blocks/storefront-visits.liquid"), "utf8");

interface Options {
  /** undefined: no Shopify.loadFeatures on the page at all. */
  consent?: boolean | "load-error" | "no-method";
  search?: string;
  path?: string;
  storage?: Record<string, string>;
}

function run(o: Options) {
  const calls: Array<{ url: string; init: { method: string; credentials: string; body: string; headers: Record<string, string> } }> = [];
  const listeners: Record<string, Array<(e: unknown) => void>> = {};
  const features: unknown[] = [];
  let allowed = o.consent === true;
  const storage = new Map(Object.entries(o.storage ?? {}));
  const script = { getAttribute: (k: string) => (k === "data-winback-visit" ? "/apps/winback/visit" : null) };
  const window: Record<string, unknown> = {
    location: { pathname: o.path ?? "/products/mug", search: o.search ?? "" },
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
    fetch: (url: string, init: (typeof calls)[number]["init"]) => {
      calls.push({ url, init });
      return Promise.resolve({ ok: true });
    },
  };
  if (o.consent !== undefined) {
    window.Shopify = {
      loadFeatures(list: unknown[], cb: (error: unknown) => void) {
        features.push(...list);
        if (o.consent === "load-error") return cb(new Error("blocked"));
        (window.Shopify as Record<string, unknown>).customerPrivacy =
          o.consent === "no-method" ? {} : { analyticsProcessingAllowed: () => allowed };
        cb(false);
      },
    };
  }
  const document = {
    currentScript: script,
    querySelector: () => script,
    addEventListener: (type: string, fn: (e: unknown) => void) => (listeners[type] ??= []).push(fn),
  };
  runInNewContext(JS, { window, document, Date, JSON, Number, String });
  return {
    calls,
    features,
    storage,
    /** The customer answers the cookie banner on this page. */
    consentCollected(analyticsAllowed: boolean) {
      allowed = analyticsAllowed;
      for (const fn of listeners.visitorConsentCollected ?? []) fn({ detail: { analyticsAllowed } });
    },
  };
}

describe("storefront visits script", () => {
  it("loads the Customer Privacy API the documented way and sends one visit when analytics is allowed", () => {
    const r = run({ consent: true, search: "?utm_source=winback&wb=0b4f2a1c-msg_1", path: "/collections/all" });
    expect(r.features).toEqual([{ name: "consent-tracking-api", version: "0.1" }]);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.url).toBe("/apps/winback/visit");
    expect(r.calls[0]!.init.method).toBe("POST");
    expect(r.calls[0]!.init.credentials).toBe("same-origin");
    // The path and the message reference only: no query string, no customer id (Shopify's proxy adds the signed one).
    expect(JSON.parse(r.calls[0]!.init.body)).toEqual({ path: "/collections/all", wb: "0b4f2a1c-msg_1" });
  });

  it("never sends when analytics is not allowed, the API fails to load, lacks the method, or is absent", () => {
    for (const consent of [false, "load-error", "no-method", undefined] as const) {
      expect({ consent, calls: run({ consent }).calls.length }).toEqual({ consent, calls: 0 });
    }
  });

  it("sends once the customer allows analytics on the page, not when they refuse", () => {
    const refused = run({ consent: false });
    refused.consentCollected(false);
    expect(refused.calls).toHaveLength(0);
    const later = run({ consent: false });
    later.consentCollected(true);
    later.consentCollected(true);
    expect(later.calls).toHaveLength(1);
  });

  it("sends at most once per 30 minutes per tab, unless the page came from an email link", () => {
    const recent = { "winback:visit:sent": String(Date.now() - 10 * 60 * 1000) };
    expect(run({ consent: true, storage: recent }).calls).toHaveLength(0);
    expect(run({ consent: true, storage: recent, search: "?wb=abc" }).calls).toHaveLength(1);
    const old = { "winback:visit:sent": String(Date.now() - 31 * 60 * 1000) };
    const r = run({ consent: true, storage: old });
    expect(r.calls).toHaveLength(1);
    expect(Number(r.storage.get("winback:visit:sent"))).toBeGreaterThan(Date.now() - 5000);
    // A wb value that is not a plain token is not forwarded.
    expect(JSON.parse(run({ consent: true, search: "?wb=%3Cscript%3E" }).calls[0]!.init.body).wb).toBeNull();
  });

  it("is rendered for logged-in customers only, as an app embed (target body), and stays small", () => {
    expect(BLOCK).toMatch(/\{%-? if customer -?%\}\s*<script src="\{\{ 'storefront-visits\.js' \| asset_url \}\}" defer/);
    const schema = JSON.parse(/\{% schema %\}([\s\S]*)\{% endschema %\}/.exec(BLOCK)![1]!) as { target: string };
    expect(schema.target).toBe("body");
    expect(Buffer.byteLength(JS)).toBeLessThan(10_000);
  });
});
