import { isAppError } from "../lib/errors";
import { parsePointsAppSettings, type PointsAppSettings } from "./settings";

/** The embed block's handle is its file name in extensions/points-expiry-banner/blocks/. */
export const APP_EMBED_HANDLE = "points-expiry-banner";

/** Shopify's deep link that opens the theme editor on App embeds with ours switched on. */
export function themeEditorUrl(shop: string, apiKey: string): string {
  return `https://${shop}/admin/themes/current/editor?context=apps&activateAppId=${encodeURIComponent(apiKey)}/${APP_EMBED_HANDLE}`;
}

export type SettingsFormResult = { ok: true; settings: PointsAppSettings } | { ok: false; errors: Record<string, string> };

const FIELD_OF: Record<string, string> = {
  pointsPerUnit: "pointsPerUnit",
  lotLifetimeDays: "lotLifetimeDays",
  "redemptionRate.points": "ratePoints",
  "redemptionRate.value": "rateValue",
  nudgeOffsetsDays: "nudgeOffsetsDays",
  bannerWindowDays: "bannerWindowDays",
};

/** Parses the form strictly (a typo is an error on its field, never a silent default). */
export function parseSettingsForm(form: FormData): SettingsFormResult {
  const errors: Record<string, string> = {};
  const num = (name: string) => {
    const raw = String(form.get(name) ?? "").trim();
    const n = Number(raw);
    if (!raw || !Number.isFinite(n)) errors[name] = "Enter a number";
    return n;
  };
  const offsetsRaw = String(form.get("nudgeOffsetsDays") ?? "").trim();
  const offsets = offsetsRaw ? offsetsRaw.split(/[\s,]+/).filter(Boolean).map(Number) : [];
  if (offsets.some((n) => !Number.isInteger(n))) errors.nudgeOffsetsDays = "Whole days, separated by commas (e.g. 14, 7, 2)";
  const input = {
    pointsPerUnit: num("pointsPerUnit"),
    lotLifetimeDays: num("lotLifetimeDays"),
    redemptionRate: { points: num("ratePoints"), value: num("rateValue") },
    nudgeOffsetsDays: offsets,
    bannerWindowDays: num("bannerWindowDays"),
  };
  if (Object.keys(errors).length) return { ok: false, errors };
  try {
    return { ok: true, settings: parsePointsAppSettings(input) };
  } catch (e) {
    if (!isAppError(e, "INVALID_INPUT")) throw e;
    for (const i of (e.details as Array<{ path: PropertyKey[]; message: string }>) ?? []) {
      const key = FIELD_OF[i.path.filter((p) => typeof p === "string").join(".")] ?? "form";
      errors[key] ??= i.message;
    }
    return { ok: false, errors };
  }
}

