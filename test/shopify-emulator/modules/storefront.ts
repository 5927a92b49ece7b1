// Storefront: what Shopify's online store gives the app's theme app extension, for a browser.
// - Pages of the shop (`/{shop}/` and `/{shop}/storefront`; on the shop's own domain through
//   test/shopify-emulator/shop-domains.ts) with the theme's enabled app embeds only: the points
//   banner (points-expiry-banner) and the visit reporter (storefront-visits). App embeds start
//   deactivated, as on Shopify; the merchant activates them in the theme editor
//   (`/{shop}/admin/themes/current/editor`, the page the app's `activateAppId` deep link opens).
// - `window.Shopify.loadFeatures` and, once "consent-tracking-api" is loaded,
//   `window.Shopify.customerPrivacy` (Customer Privacy API), with a consent banner when the shop
//   requires consent; see `StorefrontPrivacy` for the default.
// - A customer-account session: `/{shop}/account/login?customer=<id>` logs a customer in. That is an
//   emulator-only test control (no password, no email code): on Shopify a shopper is "logged in"
//   when their customer-account session says so, which a test cannot establish; the session cookie
//   is what every later page and the app proxy read, as Shopify's own session is.
// - `/discount/{code}`, Shopify's shareable discount link: remembers the code and redirects.
// - Shopify's signed app proxy (/apps/winback/* → the app's /proxy/*).
// Sources: docs/shopify-conformance.md ("Storefront, app embeds, consent and the app proxy").
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Liquid } from "liquidjs";
import type { EmulatorModule, RouteContext } from "../engine";
import { REPO_ROOT } from "../schema";
import type { ShopState } from "../state";
import { appEmbedAssets, EXTENSION_ROOT, escapeHtml, renderAppEmbed, type Locale } from "../../extensions/render-embed";
import { shopGid } from "./core";
import { EMULATOR_APP_ID, storefrontMetafields } from "./metafields";

export interface AppProxyConfig {
  /** The app's proxy URL from shopify.app.toml, e.g. https://localhost:3000/proxy (only the path is used). */
  url: string;
  prefix: string;
  subpath: string;
}

/** `[app_proxy]` of shopify.app.toml. */
export function loadAppProxyConfig(tomlPath = path.join(REPO_ROOT, "shopify.app.toml")): AppProxyConfig {
  const text = fs.readFileSync(tomlPath, "utf8");
  const section = /^\[app_proxy\]\s*$([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(text)?.[1] ?? "";
  const get = (k: string) => new RegExp(`^\\s*${k}\\s*=\\s*"([^"]*)"`, "m").exec(section)?.[1];
  const url = get("url");
  const prefix = get("prefix");
  const subpath = get("subpath");
  if (!url || !prefix || !subpath) throw new Error("shopify.app.toml has no complete [app_proxy] section");
  return { url, prefix, subpath };
}

/**
 * Shopify's app proxy signature: every query parameter except `signature`, sorted by key, as
 * `key=value` (multiple values joined with ","), concatenated with no separator, HMAC-SHA256 with
 * the app's secret, hex.
 */
export function signProxyQuery(params: URLSearchParams, secret: string): string {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) if (k !== "signature") grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const message = [...grouped.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v.join(",")}`)
    .join("");
  return crypto.createHmac("sha256", secret).update(message).digest("hex");
}

const SHOP_COOKIE = "_emu_sf_shop";
const CUSTOMER_COOKIE = "_emu_sf_customer";
/** Shopify keeps the visitor's choice in `_tracking_consent`; the value here is the emulator's own JSON, not Shopify's format. */
const CONSENT_COOKIE = "_tracking_consent";
const DISCOUNT_COOKIE = "discount_code";

function cookies(req: RouteContext["req"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
const setCookie = (k: string, v: string) => `${k}=${encodeURIComponent(v)}; Path=/; SameSite=Lax; HttpOnly`;

// ---- theme: app embeds --------------------------------------------------------------------------

/** The app embed blocks of extensions/points-expiry-banner (file name = handle). */
export const APP_EMBED_HANDLES = ["points-expiry-banner", "storefront-visits"] as const;
export type AppEmbedHandle = (typeof APP_EMBED_HANDLES)[number];

/**
 * The live theme's app embeds. All deactivated until the merchant activates one in the theme editor
 * and saves (shopify.dev, theme app extensions: app embed blocks are deactivated by default; the
 * `activateAppId={api_key}/{handle}` deep link opens the editor with the embed activated, and the
 * merchant still saves).
 */
const themeEmbeds = (shop: ShopState) =>
  shop.store("themeAppEmbeds", () => Object.fromEntries(APP_EMBED_HANDLES.map((h) => [h, false])) as Record<AppEmbedHandle, boolean>);

/** What the theme editor's Save does (tests and the demo may call it directly). */
export function setAppEmbed(shop: ShopState, handle: AppEmbedHandle, enabled: boolean): void {
  themeEmbeds(shop)[handle] = enabled;
}
export function appEmbedEnabled(shop: ShopState, handle: AppEmbedHandle): boolean {
  return themeEmbeds(shop)[handle];
}

// ---- customer privacy ------------------------------------------------------------------------------

/**
 * The shop's customer privacy setting for the emulated visitor's region. Shopify's Customer Privacy
 * API combines three things: whether the merchant requires consent in the region, whether the
 * visitor is in such a region, and what the visitor chose (shopify.dev/docs/api/customer-privacy).
 * The emulator has one region (the visitor's), so one switch: `consentRequired`.
 * Default `false`: no consent banner, and `analyticsProcessingAllowed()` is true until the visitor
 * declines — what Shopify answers where consent is not required. With `true` (the merchant requires
 * consent, e.g. a shop serving the EU), the storefront shows a banner and every purpose is refused
 * until the visitor accepts.
 */
export interface StorefrontPrivacy {
  consentRequired: boolean;
}
const privacy = (shop: ShopState) => shop.store("storefrontPrivacy", (): StorefrontPrivacy => ({ consentRequired: false }));
export function setStorefrontPrivacy(shop: ShopState, p: StorefrontPrivacy): void {
  Object.assign(privacy(shop), p);
}

/**
 * `window.Shopify` as the online store defines it before the theme's scripts: `loadFeatures` and,
 * after loading "consent-tracking-api" (the only feature emulated), `customerPrivacy` with the
 * `…Allowed` methods, `currentVisitorConsent`, `shouldShowBanner` and `setTrackingConsent`, which
 * stores the choice and dispatches `visitorConsentCollected` on `document` with
 * `{ analyticsAllowed, marketingAllowed, preferencesAllowed, saleOfDataAllowed }`.
 * A visitor's explicit choice wins; without one, a purpose is allowed only when consent is not required.
 */
function shopifyGlobalScript(shopDomain: string, p: StorefrontPrivacy): string {
  return `<script>
(function (w, d) {
  var REQUIRED = ${JSON.stringify(p.consentRequired)};
  var COOKIE = ${JSON.stringify(CONSENT_COOKIE)};
  function stored() {
    var m = new RegExp("(?:^|; )" + COOKIE + "=([^;]*)").exec(d.cookie);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : {}; } catch (e) { return {}; }
  }
  function allowed(purpose) {
    var v = stored()[purpose];
    return v === true || v === false ? v : !REQUIRED;
  }
  function answer(purpose) {
    var v = stored()[purpose];
    return v === true ? "yes" : v === false ? "no" : "";
  }
  var customerPrivacy = {
    analyticsProcessingAllowed: function () { return allowed("analytics"); },
    marketingAllowed: function () { return allowed("marketing"); },
    preferencesProcessingAllowed: function () { return allowed("preferences"); },
    saleOfDataAllowed: function () { return allowed("sale_of_data"); },
    currentVisitorConsent: function () {
      return { analytics: answer("analytics"), marketing: answer("marketing"), preferences: answer("preferences"), sale_of_data: answer("sale_of_data") };
    },
    shouldShowBanner: function () { return REQUIRED && answer("analytics") === ""; },
    setTrackingConsent: function (consent, callback) {
      var next = stored();
      ["analytics", "marketing", "preferences", "sale_of_data"].forEach(function (k) {
        if (typeof consent[k] === "boolean") next[k] = consent[k];
      });
      d.cookie = COOKIE + "=" + encodeURIComponent(JSON.stringify(next)) + "; Path=/; SameSite=Lax; Max-Age=31536000";
      setTimeout(function () {
        d.dispatchEvent(new CustomEvent("visitorConsentCollected", { detail: {
          analyticsAllowed: allowed("analytics"), marketingAllowed: allowed("marketing"),
          preferencesAllowed: allowed("preferences"), saleOfDataAllowed: allowed("sale_of_data")
        } }));
        if (typeof callback === "function") callback();
      }, 0);
    }
  };
  w.Shopify = w.Shopify || {};
  w.Shopify.shop = ${JSON.stringify(shopDomain)};
  w.Shopify.loadFeatures = function (features, callback) {
    var unknown = (features || []).filter(function (f) { return !f || f.name !== "consent-tracking-api"; });
    setTimeout(function () {
      if (unknown.length) return callback(new Error("unknown feature " + (unknown[0] && unknown[0].name)));
      w.Shopify.customerPrivacy = customerPrivacy;
      callback(null);
    }, 0);
  };
  d.addEventListener("DOMContentLoaded", function () {
    var banner = d.getElementById("shopify-pc__banner");
    if (!banner || !customerPrivacy.shouldShowBanner()) return;
    banner.hidden = false;
    banner.addEventListener("click", function (e) {
      var choice = e.target && e.target.getAttribute && e.target.getAttribute("data-consent");
      if (!choice) return;
      var yes = choice === "accept";
      customerPrivacy.setTrackingConsent({ analytics: yes, marketing: yes, preferences: yes, sale_of_data: yes }, function () { banner.hidden = true; });
    });
  });
})(window, document);
</script>`;
}

export interface ProxyLogEntry {
  at: string;
  method: string;
  path: string;
  loggedInCustomerId: string;
  status: number;
}
const proxyLog = (shop: ShopState) => shop.store("appProxy", () => [] as ProxyLogEntry[]);

const MONEY_FORMATS: Record<string, string> = {
  USD: "${{amount}}",
  CAD: "${{amount}}",
  EUR: "€{{amount_with_comma_separator}}",
  GBP: "£{{amount}}",
  JPY: "¥{{amount_no_decimals}}",
};

/** A customer's or the shop's metafields as the app's own theme extension sees them: `app--{id}--ns` is `$app:ns`. */
function liquidMetafields(shop: ShopState, ownerGid: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const own = `app--${EMULATOR_APP_ID}--`;
  for (const [ns, fields] of Object.entries(storefrontMetafields(shop, ownerGid))) {
    out[ns.startsWith(own) ? `$app:${ns.slice(own.length)}` : ns] = fields;
  }
  return out;
}

/**
 * Where the shop's pages live for this request: "" on the shop's own domain (the TLS front of
 * shop-domains.ts forwards with X-Forwarded-Host), `/{shop}` on the emulator's origin.
 */
function base(ctx: RouteContext, domain: string): string {
  return String(ctx.req.headers["x-forwarded-host"] ?? "").split(":")[0] === domain ? "" : `/${domain}`;
}

/** The logged-in customer of this browser's session in `domain` (legacy id), or "". The cookie names the shop too. */
function sessionCustomer(ctx: RouteContext, domain: string): string {
  const [d, id] = (cookies(ctx.req)[CUSTOMER_COOKIE] ?? "").split("/");
  return d === domain && id ? id : "";
}
const sessionCookie = (domain: string, id: number) => setCookie(CUSTOMER_COOKIE, `${domain}/${id}`);

/** A same-site path to go to next (`redirect`, `return_to`): never another origin. */
function localPath(value: string | null, fallback: string): string {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : fallback;
}

const SF_SCRIPT = "storefront-visits.js";
const SF_BLOCK = path.join(EXTENSION_ROOT, "blocks/storefront-visits.liquid");
const SCHEMA_RE = /\{%-?\s*schema\s*-?%\}[\s\S]*?\{%-?\s*endschema\s*-?%\}/;

/** The storefront-visits block as the theme renders it: the Liquid file itself, `customer` and `asset_url`. */
function renderVisitsEmbed(customer: { id: number } | null, assetBaseUrl: string): string {
  const engine = new Liquid({ strictFilters: true, ownPropertyOnly: true });
  engine.registerFilter("asset_url", (file: unknown) => `${assetBaseUrl}${String(file)}`);
  return engine.parseAndRenderSync(fs.readFileSync(SF_BLOCK, "utf8").replace(SCHEMA_RE, ""), { customer }).trim();
}

async function storefrontPage(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  const shop = ctx.shop(domain);
  if (!shop) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  const q = ctx.url.searchParams;
  const at = base(ctx, domain);
  // `?customer=<id>` is the emulator-only login shortcut the points tests and the demo use (as /account/login).
  const id = q.get("customer") ?? sessionCustomer(ctx, domain);
  let customer: { id: number; first_name: string | null; metafields: Record<string, Record<string, unknown>> } | null = null;
  if (id) {
    const c = shop.customerIndexFromId(id);
    if (c < 0) return ctx.send(404, `<h1>No customer ${escapeHtml(id)} in ${escapeHtml(domain)}</h1>`);
    const v = shop.customerView(c);
    customer = { id: v.legacyId, first_name: v.firstName, metafields: liquidMetafields(shop, v.id) };
  }
  const locale = (q.get("locale") === "fr" ? "fr" : "en") as Locale;
  const settings: Record<string, unknown> = {};
  for (const [k, param] of [
    ["window_days", "window"],
    ["points_per_reward", "points_per_reward"],
    ["reward_amount", "reward_amount"],
  ] as const) {
    if (q.get(param)) settings[k] = Number(q.get(param));
  }
  if (q.get("position")) settings.position = q.get("position");
  const currency = shop.data.currencyCode;
  const assetBaseUrl = `${at}/storefront/assets/`;
  const points = appEmbedEnabled(shop, "points-expiry-banner")
    ? renderAppEmbed({
        customer,
        settings,
        locale,
        now: new Date(ctx.now()),
        shop: {
          currency,
          money_format: MONEY_FORMATS[currency] ?? `{{amount}} ${currency}`,
          timezone: shop.data.ianaTimezone,
          metafields: liquidMetafields(shop, shopGid(domain)),
        },
        assetBaseUrl,
      })
    : { head: "", html: "" };
  const visits = appEmbedEnabled(shop, "storefront-visits") ? renderVisitsEmbed(customer, assetBaseUrl) : "";
  const who = customer
    ? `Logged in as ${escapeHtml(customer.first_name ?? "customer")} (#${customer.id}) · <a href="${at}/account/logout">Log out</a>`
    : "Guest";
  const p = privacy(shop);
  const applied = cookies(ctx.req)[DISCOUNT_COOKIE];
  const html = `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(shop.data.name)}</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#111}header{padding:16px 24px;border-bottom:1px solid #e5e7eb;display:flex;justify-content:space-between}main{padding:48px 24px;max-width:760px}#shopify-pc__banner{position:fixed;left:16px;bottom:16px;max-width:420px;background:#fff;border:1px solid #d1d5db;border-radius:12px;padding:16px;box-shadow:0 4px 16px rgba(0,0,0,.15)}#shopify-pc__banner button{margin-right:8px}</style>
${shopifyGlobalScript(domain, p)}
${points.head}
</head>
<body>
<header><strong>${escapeHtml(shop.data.name)}</strong><span data-storefront-customer>${who}</span></header>
<main><h1>Welcome to ${escapeHtml(shop.data.name)}</h1><p>Demo storefront rendered by the Shopify emulator with the theme's enabled app embeds.</p>${
    applied ? `<p data-discount-applied>Discount ${escapeHtml(applied)} will be applied at checkout.</p>` : ""
  }</main>
${p.consentRequired ? `<div id="shopify-pc__banner" role="dialog" aria-label="Cookie consent" hidden><p>This store uses cookies to understand how you use it.</p><button type="button" data-consent="accept">Accept</button><button type="button" data-consent="decline">Decline</button></div>` : ""}
${points.html}
${visits}
</body>
</html>`;
  const headers: Record<string, string | string[]> = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" };
  headers["Set-Cookie"] = [setCookie(SHOP_COOKIE, domain), ...(q.get("customer") ? [sessionCookie(domain, customer!.id)] : [])];
  ctx.res.writeHead(200, headers);
  ctx.res.end(html);
}

/** Emulator-only test control: logs `customer` into this browser's customer-account session, then goes to `return_to`. */
function login(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  const shop = ctx.shop(domain);
  if (!shop) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  const id = ctx.url.searchParams.get("customer") ?? "";
  const c = id ? shop.customerIndexFromId(id) : -1;
  if (c < 0) return ctx.send(404, `<h1>No customer ${escapeHtml(id)} in ${escapeHtml(domain)}</h1>`);
  const at = base(ctx, domain);
  const session = [setCookie(SHOP_COOKIE, domain), sessionCookie(domain, shop.customerLegacyId(c))];
  const returnTo = ctx.url.searchParams.get("return_to");
  if (returnTo) {
    ctx.res.writeHead(302, { Location: localPath(returnTo, `${at}/`), "Cache-Control": "no-store", "Set-Cookie": session });
    ctx.res.end();
    return;
  }
  // Without return_to: a plain confirmation, not a theme page, so logging in alone renders no app embed (and reports no visit).
  ctx.res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Set-Cookie": session });
  ctx.res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Logged in</title></head><body><p data-logged-in>Logged in as customer #${shop.customerLegacyId(c)} (emulator test login).</p><p><a href="${at}/">Continue to the store</a></p></body></html>`,
  );
}

function logout(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  ctx.res.writeHead(302, {
    Location: `${base(ctx, domain)}/`,
    "Cache-Control": "no-store",
    "Set-Cookie": [setCookie(CUSTOMER_COOKIE, "")],
  });
  ctx.res.end();
}

/**
 * Shopify's shareable discount link `/discount/{code}?redirect=/path`: applies the code to the
 * session and redirects to `redirect` (a path of the shop), else the home page. Whether Shopify
 * keeps the link's other query parameters (UTM, `wb`) on that redirect is not documented; the
 * emulator takes the stricter reading and drops them, so the app's fallback (a visit tied to the
 * customer's latest click, ADR 102) is what gets exercised.
 */
function discountLink(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  if (!ctx.shop(domain)) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  const code = decodeURIComponent(ctx.match[2]!);
  const at = base(ctx, domain);
  ctx.res.writeHead(302, {
    Location: localPath(ctx.url.searchParams.get("redirect"), `${at}/`),
    "Cache-Control": "no-store",
    "Set-Cookie": [setCookie(DISCOUNT_COOKIE, code)],
  });
  ctx.res.end();
}

/**
 * The theme editor's App embeds panel: what `https://{shop}/admin/themes/current/editor?context=apps&activateAppId={api_key}/{handle}`
 * opens. The deep-linked embed shows activated; nothing changes until the merchant saves.
 */
async function themeEditor(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  const shop = ctx.shop(domain);
  if (!shop) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  let saved = false;
  if (ctx.req.method === "POST") {
    const form = new URLSearchParams((await ctx.body()).toString("utf8"));
    const on = new Set(form.getAll("embed"));
    for (const h of APP_EMBED_HANDLES) setAppEmbed(shop, h, on.has(h));
    saved = true;
  }
  const [key, handle] = (ctx.url.searchParams.get("activateAppId") ?? "").split("/");
  const activate = key === ctx.apiKey && (APP_EMBED_HANDLES as readonly string[]).includes(handle ?? "") ? handle : null;
  const rows = APP_EMBED_HANDLES.map((h) => {
    const on = appEmbedEnabled(shop, h) || h === activate;
    return `<li><label><input type="checkbox" name="embed" value="${h}"${on ? " checked" : ""}> ${escapeHtml(h)}</label></li>`;
  }).join("");
  ctx.send(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Theme editor · ${escapeHtml(shop.data.name)} (emulator)</title></head>
<body style="font:14px/1.5 system-ui,sans-serif;padding:24px"><h1>Theme editor</h1><h2>App embeds</h2>
<form method="post"><ul style="list-style:none;padding:0">${rows}</ul><button type="submit">Save</button></form>
${saved ? `<p role="status">Saved</p>` : activate ? `<p>${escapeHtml(activate)} is activated in the editor: save to turn it on in the live theme.</p>` : ""}
</body></html>`,
    { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  );
}

function asset(ctx: RouteContext) {
  const a = appEmbedAssets();
  const file = ctx.match[2]!;
  if (file === a.jsFile) return ctx.send(200, a.js, { "Content-Type": "application/javascript; charset=utf-8" });
  if (file === a.cssFile) return ctx.send(200, a.css, { "Content-Type": "text/css; charset=utf-8" });
  if (file === SF_SCRIPT)
    return ctx.send(200, fs.readFileSync(path.join(EXTENSION_ROOT, "assets", SF_SCRIPT), "utf8"), {
      "Content-Type": "application/javascript; charset=utf-8",
    });
  return ctx.send(404, "Not found");
}

/** Forwards /apps/{subpath}/* to the app like Shopify does: signed query, logged-in customer, no cookies. */
async function appProxy(ctx: RouteContext, domain: string | undefined, rest: string) {
  const jar = cookies(ctx.req);
  const shopDomain = domain ?? jar[SHOP_COOKIE];
  const shop = shopDomain ? ctx.shop(shopDomain) : undefined;
  if (!shopDomain || !shop) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  if (!ctx.appUrl) return ctx.send(502, "<h1>The emulator was started without appUrl</h1>");
  const cfg = loadAppProxyConfig();
  // The logged-in customer comes from the storefront session (a shopper cannot choose it).
  const customerId = sessionCustomer(ctx, shopDomain);
  const params = new URLSearchParams();
  for (const [k, v] of ctx.url.searchParams)
    if (!["shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"].includes(k)) params.append(k, v);
  params.set("shop", shopDomain);
  params.set("logged_in_customer_id", customerId);
  params.set("path_prefix", `/${cfg.prefix}/${cfg.subpath}`);
  params.set("timestamp", String(Math.floor(ctx.now() / 1000)));
  params.set("signature", signProxyQuery(params, ctx.apiSecret));
  const target = `${ctx.appUrl.replace(/\/$/, "")}${new URL(cfg.url).pathname.replace(/\/$/, "")}${rest}?${params}`;
  const method = ctx.req.method ?? "GET";
  const body = method === "POST" ? await ctx.body() : undefined;
  const headers: Record<string, string> = { Accept: String(ctx.req.headers.accept ?? "*/*") };
  for (const h of ["content-type", "x-idempotency-key", "user-agent"]) if (ctx.req.headers[h]) headers[h] = String(ctx.req.headers[h]);
  let status = 502;
  try {
    const res = await fetch(target, {
      method,
      headers,
      body: body ? new Uint8Array(body) : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(30_000),
    });
    status = res.status;
    const text = await res.text();
    const type = res.headers.get("content-type") ?? "text/plain";
    ctx.res.writeHead(status, {
      "Content-Type": type.startsWith("application/liquid") ? "text/html; charset=utf-8" : type,
      "Cache-Control": "no-store",
    });
    ctx.res.end(text);
  } catch (e) {
    ctx.send(502, { errors: `App proxy: the app did not answer (${(e as Error).message})` });
  } finally {
    proxyLog(shop).push({
      at: new Date(ctx.now()).toISOString(),
      method,
      path: `/${cfg.prefix}/${cfg.subpath}${rest}`,
      loggedInCustomerId: customerId,
      status,
    });
  }
}

const PROXY_PATH = (() => {
  try {
    const c = loadAppProxyConfig();
    return `${c.prefix}/${c.subpath}`;
  } catch {
    return "apps/winback";
  }
})().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const SHOP = "([a-z0-9][a-z0-9-]*\\.myshopify\\.com)";
const proxyOnOrigin = new RegExp(`^/${PROXY_PATH}(/.*)?$`);
const proxyOnShop = new RegExp(`^/${SHOP}/${PROXY_PATH}(/.*)?$`);

export const storefrontModule: EmulatorModule = {
  name: "storefront",
  register() {},
  routes: [
    { method: "GET", path: new RegExp(`^/${SHOP}/(?:storefront/?)?$`), handle: storefrontPage },
    { method: "GET", path: new RegExp(`^/${SHOP}/account/login$`), handle: login },
    { method: "GET", path: new RegExp(`^/${SHOP}/account/logout$`), handle: logout },
    { method: "GET", path: new RegExp(`^/${SHOP}/discount/([^/?#]+)$`), handle: discountLink },
    ...(["GET", "POST"] as const).map((method) => ({
      method,
      path: new RegExp(`^/${SHOP}/admin/themes/current/editor$`),
      handle: themeEditor,
    })),
    { method: "GET", path: new RegExp(`^/${SHOP}/storefront/assets/([\\w.-]+)$`), handle: asset },
    ...(["GET", "POST"] as const).flatMap((method) => [
      { method, path: proxyOnOrigin, handle: (ctx: RouteContext) => appProxy(ctx, undefined, ctx.match[1] ?? "") },
      { method, path: proxyOnShop, handle: (ctx: RouteContext) => appProxy(ctx, ctx.match[1], ctx.match[2] ?? "") },
    ]),
  ],
};
