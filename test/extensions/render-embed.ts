/**
 * Renders the points-expiry-banner app embed block with liquidjs, emulating the parts of Shopify's
 * storefront renderer the block relies on: `block.settings` (schema defaults merged with overrides),
 * the `customer` object with metafields under the app-reserved namespace "$app:loyalty", the
 * storefront locale files (`t` with interpolation and `count` pluralisation), `money` with the
 * shop's money_format, `date` (including `'now'`, pinned to the `now` you pass), `asset_url`,
 * `stylesheet_tag`, `script_tag`, `json`. The `{% schema %}` block is stripped and parsed.
 *
 * Used by the Liquid tests here and by the demo storefront page, so keep it free of vitest imports.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Liquid, filters as builtinFilters } from "liquidjs";

export const EXTENSION_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../extensions/points-expiry-banner");
export const BLOCK_FILE = join(EXTENSION_ROOT, "blocks/points-expiry-banner.liquid");
export const JS_FILE = join(EXTENSION_ROOT, "assets/points-expiry-banner.js");
export const CSS_FILE = join(EXTENSION_ROOT, "assets/points-expiry-banner.css");
/** The app-reserved customer metafield namespace the block reads (`$app:loyalty`). */
export const LOYALTY_NAMESPACE = "$app:loyalty";

export type Locale = "en" | "fr" | "de" | "es";

/** Loyalty metafield values as the app writes them (Admin API `metafieldsSet`, namespace `$app:loyalty`). */
export interface LoyaltyMetafields {
  points_balance?: number | null; // number_integer
  points_expiring?: number | null; // number_integer
  points_expire_at?: Date | string | null; // date_time
}

export interface EmbedCustomer {
  id: number | string;
  first_name?: string | null;
  /**
   * Either the loyalty values directly (`{ points_expiring: 250, ... }`, placed under `$app:loyalty`)
   * or a namespace map (`{ "$app:loyalty": { points_expiring: 250 }, custom: {...} }`).
   */
  metafields?: LoyaltyMetafields | Record<string, Record<string, unknown>>;
}

export interface EmbedShop {
  currency: string;
  /** e.g. "${{amount}}", "{{amount_with_comma_separator}} €" */
  money_format: string;
  /** IANA zone used by the `date` filter (Shopify renders dates in the shop's zone). Default UTC. */
  timezone?: string;
  /** Shop metafields by namespace (`{ "$app:loyalty": { reward: { points: 100, amount: 5 } } }`). */
  metafields?: Record<string, Record<string, unknown>>;
}

export interface RenderAppEmbedOptions {
  customer: EmbedCustomer | null;
  settings?: Record<string, unknown>;
  locale?: Locale;
  now: Date;
  shop: EmbedShop;
  /** Prefix for `asset_url`; the demo storefront points this at wherever it serves appEmbedAssets(). */
  assetBaseUrl?: string;
  blockId?: string;
}

export interface RenderedAppEmbed {
  /** What the block renders where Shopify places it (before `</body>`); "" when nothing is shown. */
  html: string;
  /** What Shopify injects in `<head>` for the schema's `stylesheet` while the embed is enabled. */
  head: string;
  /** The effective `block.settings`. */
  settings: Record<string, unknown>;
}

interface SchemaSetting {
  id?: string;
  type: string;
  default?: unknown;
}
export interface BlockSchema {
  name: string;
  target: string;
  stylesheet?: string;
  javascript?: string;
  settings: SchemaSetting[];
}

const SCHEMA_RE = /\{%-?\s*schema\s*-?%\}([\s\S]*?)\{%-?\s*endschema\s*-?%\}/;

function readBlock(): { template: string; schema: BlockSchema } {
  const source = readFileSync(BLOCK_FILE, "utf8");
  const m = SCHEMA_RE.exec(source);
  if (!m) throw new Error(`${BLOCK_FILE} has no {% schema %}`);
  return { template: source.replace(SCHEMA_RE, ""), schema: JSON.parse(m[1]) as BlockSchema };
}

export function appEmbedSchema(): BlockSchema {
  return readBlock().schema;
}

/** `block.settings`: schema defaults (settings without a default are nil) merged with overrides. */
export function blockSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const s of appEmbedSchema().settings) if (s.id) settings[s.id] = s.default ?? null;
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in settings)) throw new Error(`unknown block setting "${k}"`);
    settings[k] = v;
  }
  return settings;
}

/** The JS and CSS assets exactly as shipped, for tests and for the demo storefront to serve. */
export function appEmbedAssets(): { js: string; css: string; jsFile: string; cssFile: string } {
  return {
    js: readFileSync(JS_FILE, "utf8"),
    css: readFileSync(CSS_FILE, "utf8"),
    jsFile: "points-expiry-banner.js",
    cssFile: "points-expiry-banner.css",
  };
}

type Translations = Record<string, unknown>;

export function loadLocale(locale: Locale): Translations {
  const file = locale === "en" ? "en.default.json" : `${locale}.json`;
  return JSON.parse(readFileSync(join(EXTENSION_ROOT, "locales", file), "utf8")) as Translations;
}

function lookup(tree: Translations, key: string): unknown {
  return key.split(".").reduce<unknown>((node, part) => {
    return node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  }, tree);
}

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** CLDR cardinal category for the locales we ship: French treats 0 and 1 as "one"; English, German and Spanish only 1. */
function pluralCategory(locale: Locale, count: number): "one" | "other" {
  if (locale === "fr") return count === 0 || count === 1 ? "one" : "other";
  return count === 1 ? "one" : "other";
}

/**
 * Shopify's `t` filter: storefront locale lookup with fallback to en.default, `{{ var }}`
 * interpolation, pluralisation on `count`. Keys not ending in `_html` are HTML-escaped.
 */
export function translate(locale: Locale, key: string, vars: Record<string, unknown> = {}): string {
  let entry = lookup(loadLocale(locale), key);
  if (entry === undefined && locale !== "en") entry = lookup(loadLocale("en"), key);
  if (entry && typeof entry === "object" && "count" in vars) {
    const forms = entry as Record<string, unknown>;
    entry = forms[pluralCategory(locale, Number(vars.count))] ?? forms.other;
  }
  if (typeof entry !== "string") return `translation missing: ${locale}.${key}`;
  const isHtml = key.endsWith("_html");
  const template = isHtml ? entry : escapeHtml(entry);
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in vars ? escapeHtml(vars[name]) : whole));
}

/** Shopify's `money` filter: input in the currency's minor unit, formatted with shop.money_format. */
export function formatMoney(cents: unknown, moneyFormat: string): string {
  const n = Number(cents);
  const value = Number.isFinite(n) ? n : 0;
  const group = (amount: number, decimals: number, thousands: string, decimal: string) => {
    const [int, frac] = (amount / 100).toFixed(decimals).split(".");
    const withThousands = int.replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
    return frac ? `${withThousands}${decimal}${frac}` : withThousands;
  };
  const formats: Record<string, () => string> = {
    amount: () => group(value, 2, ",", "."),
    amount_no_decimals: () => group(value, 0, ",", "."),
    amount_with_comma_separator: () => group(value, 2, ".", ","),
    amount_no_decimals_with_comma_separator: () => group(value, 0, ".", ","),
    amount_with_space_separator: () => group(value, 2, " ", ","),
    amount_no_decimals_with_space_separator: () => group(value, 0, " ", ""),
    amount_with_apostrophe_separator: () => group(value, 2, "'", "."),
    amount_with_period_and_space_separator: () => group(value, 2, " ", "."),
  };
  return moneyFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (formats[name] ? formats[name]() : whole));
}

/** Normalise the customer's metafields into `{ namespace: { key: { value, type } } }`. */
function metafieldsDrop(input: EmbedCustomer["metafields"]): Record<string, Record<string, unknown>> {
  const namespaced: Record<string, Record<string, unknown>> = {};
  if (!input) return namespaced;
  const keys = Object.keys(input);
  const isFlat = keys.some((k) => k === "points_balance" || k === "points_expiring" || k === "points_expire_at");
  const byNamespace = isFlat
    ? { [LOYALTY_NAMESPACE]: input as Record<string, unknown> }
    : (input as Record<string, Record<string, unknown>>);
  for (const [ns, fields] of Object.entries(byNamespace)) {
    namespaced[ns] = {};
    for (const [key, raw] of Object.entries(fields ?? {})) {
      if (raw === undefined || raw === null) continue; // unset metafields are nil in Liquid
      const value = raw instanceof Date ? raw.toISOString() : raw;
      const type =
        raw instanceof Date || key.endsWith("_at")
          ? "date_time"
          : typeof raw === "number"
            ? "number_integer"
            : typeof raw === "object"
              ? "json"
              : "single_line_text_field";
      namespaced[ns][key] = { value, type };
    }
  }
  return namespaced;
}

export function renderAppEmbed(options: RenderAppEmbedOptions): RenderedAppEmbed {
  const { template, schema } = readBlock();
  const locale = options.locale ?? "en";
  const settings = blockSettings(options.settings);
  const assetBaseUrl = options.assetBaseUrl ?? "/extensions/points-expiry-banner/assets/";
  const assetUrl = (file: unknown) => `${assetBaseUrl}${String(file)}`;
  const now = options.now;

  const engine = new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    timezoneOffset: options.shop.timezone ?? "UTC",
  });
  engine.registerFilter("t", (key: unknown, ...args: unknown[]) => {
    const vars: Record<string, unknown> = {};
    for (const a of args) if (Array.isArray(a)) vars[String(a[0])] = a[1];
    return translate(locale, String(key), vars);
  });
  engine.registerFilter("money", (cents: unknown) => formatMoney(cents, options.shop.money_format));
  engine.registerFilter("date", function (this: unknown, value: unknown, ...rest: unknown[]) {
    const v = value === "now" || value === "today" ? now : value;
    if (v === null || v === undefined || v === "") return v;
    // liquidjs's own date filter (strftime, timezoneOffset), with 'now' pinned to options.now.
    return (builtinFilters.date as (...a: unknown[]) => unknown).call(this, v, ...rest);
  });
  engine.registerFilter("asset_url", assetUrl);
  engine.registerFilter(
    "stylesheet_tag",
    (url: unknown) => `<link href="${escapeHtml(url)}" rel="stylesheet" type="text/css" media="all" />`,
  );
  engine.registerFilter("script_tag", (url: unknown) => `<script src="${escapeHtml(url)}" type="text/javascript"></script>`);
  engine.registerFilter("json", (v: unknown) => JSON.stringify(v ?? null));

  const customer = options.customer
    ? {
        id: options.customer.id,
        first_name: options.customer.first_name ?? null,
        metafields: metafieldsDrop(options.customer.metafields),
      }
    : null;

  const html = engine.parseAndRenderSync(template, {
    customer,
    shop: { currency: options.shop.currency, money_format: options.shop.money_format, metafields: metafieldsDrop(options.shop.metafields) },
    localization: { language: { iso_code: locale } },
    request: { locale: { iso_code: locale } },
    block: { id: options.blockId ?? "points_expiry_banner_app_embed", type: "app", settings },
  });
  const head = schema.stylesheet
    ? `<link href="${escapeHtml(assetUrl(schema.stylesheet))}" rel="stylesheet" type="text/css" media="all" />`
    : "";
  return { html: html.trim(), head, settings };
}
