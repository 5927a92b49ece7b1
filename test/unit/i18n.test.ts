import { describe, expect, it } from "vitest";
import { CATALOGUES, LOCALES, resolveLocale, translate } from "../../app/lib/i18n";

describe("customer-facing catalogue (app/lib/i18n.ts)", () => {
  it("every locale has every English key, none empty", () => {
    const keys = Object.keys(CATALOGUES.en);
    for (const l of LOCALES) {
      const missing = keys.filter((k) => !(CATALOGUES[l] as Record<string, string | undefined>)[k]?.trim());
      expect({ locale: l, missing }).toEqual({ locale: l, missing: [] });
    }
  });

  it("keeps every placeholder of the English text in each translation", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(CATALOGUES.en)) {
      for (const l of LOCALES) {
        const other = (CATALOGUES[l] as Record<string, string>)[key]!;
        expect({ l, key, names: names(other) }).toEqual({ l, key, names: names(text) });
      }
    }
  });

  it("resolves region tags and falls back to English", () => {
    expect(resolveLocale("fr-CA")).toBe("fr");
    expect(resolveLocale("de_AT")).toBe("de");
    expect(resolveLocale("pt-BR")).toBe("en");
    expect(resolveLocale(null)).toBe("en");
    expect(translate("fr", "unsubscribe.question", { shop: "Boutique" })).toBe("Ne plus recevoir les e-mails marketing de Boutique ?");
    expect(translate("it", "unsubscribe.button")).toBe("Unsubscribe");
  });
});
