// The admin frame + App Bridge stand-in in headless Chromium, against a tiny stand-in app.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { hasChromium, launchBrowser, newContext } from "../support/browser";
import { verifyJwt } from "./auth";
import type { Emulator } from "./index";
import { API_KEY, API_SECRET, SHOP, start } from "./helpers";

describe.skipIf(!hasChromium)("admin frame and App Bridge stand-in (Chromium)", () => {
  let emu: Emulator;
  let app: http.Server;
  let appUrl: string;
  let browser: Browser;
  const page = (body: string) =>
    `<!doctype html><html><head><script src="${emu.url}/app-bridge.js" data-api-key="${API_KEY}"></script></head><body>${body}</body></html>`;

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      const html = (s: string) => {
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end(s);
      };
      if (url.pathname === "/api/whoami") {
        const auth = req.headers.authorization ?? "";
        const v = verifyJwt(auth.replace(/^Bearer /, ""), API_SECRET, Math.floor(Date.now() / 1000));
        res.writeHead(v.ok ? 200 : 401, { "Content-Type": "application/json" });
        res.end(JSON.stringify(v.ok ? { shop: new URL(v.payload.dest).host, aud: v.payload.aud } : { error: v.reason }));
        return;
      }
      if (url.pathname === "/auth/session-token") return html(page(""));
      if (url.pathname === "/reloaded") {
        const v = verifyJwt(url.searchParams.get("id_token") ?? "", API_SECRET, Math.floor(Date.now() / 1000));
        return html(`<p id="reloaded">${v.ok ? "reloaded ok" : "bad token"}</p>`);
      }
      const idOk = verifyJwt(url.searchParams.get("id_token") ?? "", API_SECRET, Math.floor(Date.now() / 1000)).ok;
      return html(
        page(`<ui-nav-menu><a href="/app" rel="home">Home</a><a href="/app/segments">Segments</a><a href="/app/settings">Settings</a></ui-nav-menu>
        <ui-title-bar title="Dashboard"></ui-title-bar>
        <p id="id-token">${idOk ? "id_token ok" : "no id_token"}</p><p id="whoami">…</p><p id="nav"></p>
        <script>
          addEventListener('shopify:navigate', function(e){ document.getElementById('nav').textContent = 'navigated:' + e.target.getAttribute('href'); });
          fetch('/api/whoami').then(function(r){ return r.json(); }).then(function(j){ document.getElementById('whoami').textContent = j.shop || j.error; shopify.toast.show('Saved'); });
        </script>`),
      );
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    appUrl = `http://localhost:${(app.address() as AddressInfo).port}`;
    ({ emu } = await start({ appUrl, now: () => new Date() }));
    await emu.addShop(SHOP, { seed: 1, customers: 10 });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
    app?.close();
  });

  it("embeds the app with a signed id_token, patches fetch, forwards nav, title and toasts", async () => {
    const ctx = await newContext(browser);
    const p = await ctx.newPage();
    const logs: string[] = [];
    p.on("console", (m) => logs.push(m.text()));
    p.on("pageerror", (e) => logs.push(String(e)));
    await p.goto(emu.adminUrl(SHOP));
    const frame = p.frameLocator("iframe");
    const dump = async () => {
      for (const f of p.frames()) console.log(f.url(), (await f.content()).slice(0, 800));
      console.log(logs);
    };
    p.on("close", () => undefined);
    void dump;
    await frame.locator("#id-token", { hasText: "id_token ok" }).waitFor({ timeout: 90_000 });
    await frame
      .locator("#whoami", { hasText: SHOP })
      .waitFor({ timeout: 90_000 })
      .catch(async (e) => {
        await dump();
        throw e;
      });
    await p.locator("#app-nav a", { hasText: "Segments" }).waitFor({ timeout: 90_000 });
    expect(await p.locator("#app-nav a").allTextContents()).toEqual(["Segments", "Settings"]);
    expect(await p.locator("#title-bar").textContent()).toBe("Dashboard");
    await p.locator("#app-nav a", { hasText: "Segments" }).click();
    await frame.locator("#nav", { hasText: "navigated:/app/segments" }).waitFor({ timeout: 90_000 });
    await p.waitForFunction(() => (window as any).__toasts?.some((t: any) => t.message === "Saved"));
    await p.locator(".toast", { hasText: "Saved" }).waitFor();
    const src = await p.locator("iframe").getAttribute("src");
    const q = new URL(src!).searchParams;
    expect([...q.keys()].sort()).toEqual(["embedded", "hmac", "host", "id_token", "locale", "session", "shop", "timestamp"]);
    expect(Buffer.from(q.get("host")!, "base64").toString()).toBe(`admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}`);
    await ctx.close();
  });

  it("handles the session-token bounce page and exit-iframe (window.open _top)", async () => {
    const ctx = await newContext(browser);
    const p = await ctx.newPage();
    await p.goto(emu.adminUrl(SHOP));
    const reload = `${appUrl}/reloaded?shop=${SHOP}`;
    const fr = p.frames().find((f) => f.url().startsWith(appUrl))!;
    await fr.goto(`${appUrl}/auth/session-token?shop=${SHOP}&shopify-reload=${encodeURIComponent(reload)}`);
    await p.frameLocator("iframe").locator("#reloaded", { hasText: "reloaded ok" }).waitFor({ timeout: 90_000 });
    const fr2 = p.frames().find((f) => f.url().startsWith(appUrl))!;
    await fr2.goto(`${appUrl}/auth/session-token?shop=${SHOP}`);
    await fr2.evaluate((u) => {
      window.open(u, "_top");
    }, `${appUrl}/reloaded?id_token=x`);
    await p.waitForURL(/\/reloaded\?id_token=x/);
    expect(await p.locator("#reloaded").textContent()).toBe("bad token");
    await ctx.close();
  });
});
