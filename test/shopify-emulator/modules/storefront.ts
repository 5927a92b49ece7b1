// Storefront: a demo page rendering the theme app embed (points-expiry-banner) for a chosen
// logged-in customer, its assets, and Shopify's signed app proxy (/apps/winback/* → the app's
// /proxy/*), so the banner can be seen and clicked in a browser.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { EmulatorModule, RouteContext } from "../engine";
import { REPO_ROOT } from "../schema";
import type { ShopState } from "../state";
import { appEmbedAssets, escapeHtml, renderAppEmbed, type Locale } from "../../extensions/render-embed";
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

function cookies(req: RouteContext["req"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
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

async function storefrontPage(ctx: RouteContext) {
  const domain = ctx.match[1]!;
  const shop = ctx.shop(domain);
  if (!shop) return ctx.send(404, "<h1>There’s no store at this address</h1>");
  const q = ctx.url.searchParams;
  const id = q.get("customer") ?? "";
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
  const embed = renderAppEmbed({
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
    assetBaseUrl: `/${domain}/storefront/assets/`,
  });
  const who = customer ? `Logged in as ${escapeHtml(customer.first_name ?? "customer")} (#${customer.id})` : "Guest";
  const html = `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(shop.data.name)}</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#111}header{padding:16px 24px;border-bottom:1px solid #e5e7eb;display:flex;justify-content:space-between}main{padding:48px 24px;max-width:760px}</style>
${embed.head}
</head>
<body>
<header><strong>${escapeHtml(shop.data.name)}</strong><span data-storefront-customer>${who}</span></header>
<main><h1>Welcome to ${escapeHtml(shop.data.name)}</h1><p>Demo storefront rendered by the Shopify emulator with the app's theme app embed enabled.</p></main>
${embed.html}
</body>
</html>`;
  const cookie = (k: string, v: string) => `${k}=${encodeURIComponent(v)}; Path=/; SameSite=Lax; HttpOnly`;
  ctx.res.writeHead(200, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Set-Cookie": [cookie(SHOP_COOKIE, domain), cookie(CUSTOMER_COOKIE, customer ? String(customer.id) : "")],
  });
  ctx.res.end(html);
}

function asset(ctx: RouteContext) {
  const a = appEmbedAssets();
  const file = ctx.match[2]!;
  if (file === a.jsFile) return ctx.send(200, a.js, { "Content-Type": "application/javascript; charset=utf-8" });
  if (file === a.cssFile) return ctx.send(200, a.css, { "Content-Type": "text/css; charset=utf-8" });
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
  const customerId = jar[SHOP_COOKIE] === shopDomain ? (jar[CUSTOMER_COOKIE] ?? "") : "";
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
    { method: "GET", path: new RegExp(`^/${SHOP}/storefront/?$`), handle: storefrontPage },
    { method: "GET", path: new RegExp(`^/${SHOP}/storefront/assets/([\\w.-]+)$`), handle: asset },
    ...(["GET", "POST"] as const).flatMap((method) => [
      { method, path: proxyOnOrigin, handle: (ctx: RouteContext) => appProxy(ctx, undefined, ctx.match[1] ?? "") },
      { method, path: proxyOnShop, handle: (ctx: RouteContext) => appProxy(ctx, ctx.match[1], ctx.match[2] ?? "") },
    ]),
  ],
};
