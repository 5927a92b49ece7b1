import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { themeCheckRun } from "@shopify/theme-check-node";
import { describe, expect, it } from "vitest";
import { EXTENSION_ROOT } from "./render-embed";

const CONFIG = join(EXTENSION_ROOT, ".theme-check.yml");

function describeOffenses(offenses: { check: string; uri: string; message: string }[]) {
  return offenses.map((o) => `${o.check} ${o.uri.split("points-expiry-banner")[1] ?? o.uri}: ${o.message}`);
}

describe("Theme Check (theme-check:theme-app-extension)", () => {
  it("reports zero offenses for the extension", async () => {
    const run = await themeCheckRun(EXTENSION_ROOT, CONFIG);
    expect(run.config.context).toBe("app");
    // The block, and every locale file, were actually checked.
    expect(run.theme.map((f) => f.uri.split("points-expiry-banner/")[1]).sort()).toEqual([
      "blocks/points-expiry-banner.liquid",
      "blocks/storefront-visits.liquid",
      "locales/de.json",
      "locales/de.schema.json",
      "locales/en.default.json",
      "locales/en.default.schema.json",
      "locales/es.json",
      "locales/es.schema.json",
      "locales/fr.json",
      "locales/fr.schema.json",
    ]);
    expect(run.config.checks.map((c) => c.meta.code)).toEqual(
      expect.arrayContaining(["AppBlockValidTags", "AssetSizeAppBlockJavaScript", "TranslationKeyExists", "ValidSchema"]),
    );
    expect(describeOffenses(run.offenses)).toEqual([]);
  });

  it("would catch a broken copy (control: the run is not vacuous)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "peb-theme-check-"));
    try {
      cpSync(EXTENSION_ROOT, dir, { recursive: true });
      const block = join(dir, "blocks/points-expiry-banner.liquid");
      const src = readFileSync(block, "utf8")
        .replace("'points_expiry_banner.redeem' | t", "'points_expiry_banner.no_such_key' | t")
        .replace('<script src="{{', '{% javascript %}{% endjavascript %}<script src="{{');
      writeFileSync(block, src);
      const run = await themeCheckRun(dir, join(dir, ".theme-check.yml"));
      const checks = run.offenses.map((o) => o.check);
      expect(checks).toContain("TranslationKeyExists");
      expect(checks).toContain("AppBlockValidTags");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
