/**
 * The one place that knows where a shop's Admin API lives. In production the template is
 * `https://{shop}` (Shopify itself); the demo and tests set it to the local emulator.
 */
export const ADMIN_API_VERSION = "2026-10";

export function adminOrigin(template: string, shop: string): string {
  return template.replace("{shop}", shop).replace(/\/$/, "");
}

export function adminGraphqlUrl(template: string, shop: string): string {
  return `${adminOrigin(template, shop)}/admin/api/${ADMIN_API_VERSION}/graphql.json`;
}

/** Rewrites `https://{shop}/path` to the configured origin; other URLs pass through untouched. */
export function rewriteShopUrl(template: string, url: string): string {
  if (template === "https://{shop}") return url;
  const m = /^https:\/\/([a-z0-9][a-z0-9-]*\.myshopify\.com)(\/.*)?$/i.exec(url);
  if (!m) return url;
  return adminOrigin(template, m[1]!) + (m[2] ?? "");
}
