// The scopes Shopify grants come from shopify.app.toml (deployed with `shopify app deploy`); the app
// asks for DEFAULT_SCOPES when it authenticates. If they differ, a merchant either approves scopes the
// app never asked for, or the app runs without a scope it relies on.
// shopify.dev "About app proxies" (docs/apps/build/online-store/app-proxies): configuring an app proxy
// requires the write_app_proxy access scope.
import { readFileSync } from "node:fs";
import toml from "toml";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCOPES } from "../../app/env.server";

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** The problems of a parsed app configuration against the app's default scopes. */
function scopeProblems(appToml: { access_scopes?: { scopes?: string }; app_proxy?: unknown }, defaults: string): string[] {
  const declared = new Set(list(appToml.access_scopes?.scopes ?? ""));
  const asked = new Set(list(defaults));
  const problems: string[] = [];
  for (const s of declared) if (!asked.has(s)) problems.push(`${s} is in shopify.app.toml but not in DEFAULT_SCOPES`);
  for (const s of asked) if (!declared.has(s)) problems.push(`${s} is in DEFAULT_SCOPES but not in shopify.app.toml`);
  if (appToml.app_proxy && !declared.has("write_app_proxy"))
    problems.push("[app_proxy] is configured but write_app_proxy is not requested");
  return problems;
}

describe("access scopes", () => {
  const appToml = toml.parse(readFileSync("shopify.app.toml", "utf8"));

  it("shopify.app.toml and DEFAULT_SCOPES list the same scopes, and the app proxy has write_app_proxy", () => {
    expect(scopeProblems(appToml, DEFAULT_SCOPES)).toEqual([]);
    expect(new Set(list(appToml.access_scopes.scopes))).toEqual(new Set(list(DEFAULT_SCOPES)));
    expect(appToml.app_proxy).toBeDefined();
    expect(list(DEFAULT_SCOPES)).toContain("write_app_proxy");
    // read_all_orders: without it Shopify silently serves only the last 60 days of orders.
    expect(list(DEFAULT_SCOPES)).toContain("read_all_orders");
  });

  it("the check fails for the configuration before the fix (app proxy without write_app_proxy) and for drift either way", () => {
    const without = "read_orders,read_all_orders,read_customers,write_customers,read_discounts,write_discounts,read_products";
    expect(scopeProblems({ access_scopes: { scopes: without }, app_proxy: { url: "x" } }, without)).toEqual([
      "[app_proxy] is configured but write_app_proxy is not requested",
    ]);
    expect(scopeProblems({ access_scopes: { scopes: `${without},write_app_proxy` }, app_proxy: {} }, without)).toEqual([
      "write_app_proxy is in shopify.app.toml but not in DEFAULT_SCOPES",
    ]);
    expect(scopeProblems({ access_scopes: { scopes: without } }, `${without},write_orders`)).toEqual([
      "write_orders is in DEFAULT_SCOPES but not in shopify.app.toml",
    ]);
  });
});
