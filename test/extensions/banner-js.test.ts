/**
 * Behaviour of assets/points-expiry-banner.js without a browser: the script runs in a vm context
 * against a minimal fake DOM (just what the script touches). Browser e2e belongs to the demo page.
 */
import { runInNewContext } from "node:vm";
import { describe, expect, it, vi } from "vitest";
import { appEmbedAssets } from "./render-embed";

class El {
  dataset: Record<string, string> = {};
  attrs: Record<string, string> = {};
  listeners: Record<string, ((e: { preventDefault(): void }) => void)[]> = {};
  children: (El | string)[] = [];
  hidden = false;
  disabled = false;
  className = "";
  parentNode: El | null = null;
  focused = false;
  constructor(public sub: Record<string, El> = {}) {
    for (const child of Object.values(sub)) child.parentNode ??= this;
  }
  get textContent(): string {
    return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }
  set textContent(v: string) {
    this.children = [String(v)];
  }
  querySelector(sel: string) {
    return this.sub[sel] ?? null;
  }
  setAttribute(k: string, v: string) {
    this.attrs[k] = String(v);
  }
  getAttribute(k: string) {
    return this.attrs[k] ?? null;
  }
  removeAttribute(k: string) {
    delete this.attrs[k];
  }
  addEventListener(type: string, fn: (e: { preventDefault(): void }) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  appendChild(c: El | string) {
    this.children.push(c);
  }
  focus() {
    this.focused = true;
  }
  fire(type: string) {
    for (const fn of this.listeners[type] ?? []) fn({ preventDefault() {} });
  }
}

function setup(opts: { expiresInS?: number; dismissed?: boolean; responses?: (() => Promise<unknown>)[] } = {}) {
  const now = Date.now();
  const time = new El();
  const countdownWrap = new El({ time });
  time.parentNode = countdownWrap;
  const button = new El();
  button.textContent = "Redeem now";
  const form = new El();
  form.setAttribute("action", "/apps/winback/redeem");
  const result = new El();
  const dismiss = new El();
  const root = new El({
    "[data-peb-dismiss]": dismiss,
    "[data-peb-countdown] time": time,
    "[data-peb-form]": form,
    "[data-peb-redeem]": button,
    "[data-peb-result]": result,
  });
  const expiresAt = Math.floor(now / 1000) + (opts.expiresInS ?? 5 * 86400);
  Object.assign(root.dataset, {
    expiresAt: String(expiresAt),
    points: "250",
    redeemUrl: "/apps/winback/redeem",
    i18nHoursOne: "[count] hour left",
    i18nHoursOther: "[count] hours left",
    i18nMinutes: "Less than an hour left",
    i18nPending: "Redeeming…",
    i18nCode: "Your discount code: [code]",
    i18nBalance: "New points balance: [balance]",
    i18nError: "Sorry, try again.",
  });
  const storage = new Map<string, string>();
  if (opts.dismissed) storage.set(`winback:peb:dismissed:${expiresAt}`, "1");
  const responses = [...(opts.responses ?? [])];
  const fetch = vi.fn(() => (responses.shift() ?? (() => new Promise(() => {})))());
  const sessionStorage = {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
  };
  const document = {
    readyState: "complete",
    querySelectorAll: () => [root],
    createElement: () => new El(),
    createTextNode: (t: string) => t,
    addEventListener() {},
  };
  const window = { sessionStorage, crypto: globalThis.crypto };
  const timers: unknown[] = [];
  runInNewContext(appEmbedAssets().js, {
    window,
    document,
    fetch,
    Date,
    Math,
    JSON,
    Number,
    String,
    Object,
    Array,
    Uint8Array,
    Error,
    setInterval: (fn: unknown) => timers.push(fn),
    clearInterval() {},
  });
  return { root, button, form, result, dismiss, time, countdownWrap, fetch, storage };
}

const json = (status: number, body: unknown) => () =>
  Promise.resolve({ ok: status >= 200 && status < 300, status, json: () => Promise.resolve(body) });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("points-expiry-banner.js", () => {
  it("hides a banner dismissed earlier in the session, and remembers a dismiss", () => {
    expect(setup({ dismissed: true }).root.hidden).toBe(true);
    const s = setup();
    expect(s.root.hidden).toBe(false);
    s.dismiss.fire("click");
    expect(s.root.hidden).toBe(true);
    expect([...s.storage.values()]).toEqual(["1"]);
  });

  it("refines the countdown to hours in the last 48 hours and hides once expired", () => {
    expect(setup({ expiresInS: 5 * 86400 }).time.textContent).toBe(""); // server text kept
    expect(setup({ expiresInS: 5 * 3600 - 10 }).time.textContent).toBe("5 hours left");
    expect(setup({ expiresInS: 3000 }).time.textContent).toBe("Less than an hour left");
    expect(setup({ expiresInS: -5 }).root.hidden).toBe(true);
  });

  it("POSTs once with JSON, same-origin credentials and an idempotency key, even on double click", async () => {
    const s = setup({ responses: [json(200, { code: "WINBACK-5OFF", balance: 650 })] });
    s.form.fire("submit");
    s.form.fire("submit");
    expect(s.button.disabled).toBe(true);
    expect(s.button.textContent).toBe("Redeeming…");
    await flush();
    await flush();
    expect(s.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = s.fetch.mock.calls[0] as unknown as [string, RequestInit & { headers: Record<string, string> }];
    expect(url).toBe("/apps/winback/redeem");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect(init.headers["Content-Type"]).toBe("application/json");
    expect(init.headers["X-Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(String(init.body))).toEqual({ points: 250, idempotencyKey: init.headers["X-Idempotency-Key"] });
    expect(s.result.textContent).toBe("Your discount code: WINBACK-5OFF New points balance: 650");
    expect(s.form.hidden).toBe(true);
    expect(s.result.focused).toBe(true);
  });

  it("shows an error, re-enables the button and retries with the same idempotency key", async () => {
    const s = setup({ responses: [json(502, { error: { code: "NETWORK" } }), json(200, { code: "C1", balance: 0 })] });
    s.form.fire("submit");
    await flush();
    await flush();
    expect(s.result.textContent).toBe("Sorry, try again.");
    expect(s.button.disabled).toBe(false);
    expect(s.button.textContent).toBe("Redeem now");
    s.form.fire("submit");
    await flush();
    await flush();
    expect(s.fetch).toHaveBeenCalledTimes(2);
    const key = (i: number) =>
      (s.fetch.mock.calls[i] as unknown as [string, { headers: Record<string, string> }])[1].headers["X-Idempotency-Key"];
    expect(key(1)).toBe(key(0));
    expect(s.result.textContent).toContain("C1");
  });

  it("shows the app's own answer in the shop's language when it says why (e.g. not enough points)", async () => {
    const s = setup({ responses: [json(400, { error: "Points insuffisants.", code: "INVALID_INPUT" })] });
    s.form.fire("submit");
    await flush();
    await flush();
    expect(s.result.textContent).toBe("Points insuffisants.");
    expect(s.button.disabled).toBe(false);
  });
});
