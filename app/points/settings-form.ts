import { isAppError } from "../lib/errors";
import { themeEmbedUrl } from "../lib/theme-editor";
import { cleanForm, formNumber, formText, issueMessage, type FormIssue } from "../lib/form";
import { parseOrThrow } from "../lib/parse";
import { pointsAppSettingsSchema, type PointsAppSettings } from "./settings";

/** The embed block's handle is its file name in extensions/points-expiry-banner/blocks/. */
export const APP_EMBED_HANDLE = "points-expiry-banner";

/** Shopify's deep link that opens the theme editor on App embeds with the points banner ticked. */
export function themeEditorUrl(shop: string, apiKey: string): string {
  return themeEmbedUrl(shop, apiKey, APP_EMBED_HANDLE);
}

/** What the settings form sets: everything but the program state (turned on and off on its own). */
export type FormSettings = Omit<PointsAppSettings, "program">;
const formSchema = pointsAppSettingsSchema.omit({ program: true });

export type SettingsFormResult = { ok: true; settings: FormSettings } | { ok: false; errors: Record<string, string> };

const FIELD_OF: Record<string, string> = {
  pointsPerUnit: "pointsPerUnit",
  lotLifetimeDays: "lotLifetimeDays",
  "redemptionRate.points": "ratePoints",
  "redemptionRate.value": "rateValue",
  nudgeOffsetsDays: "nudgeOffsetsDays",
  bannerWindowDays: "bannerWindowDays",
};

/**
 * Parses the form strictly (a typo is an error on its field, never a silent default). Numbers are
 * read as the merchant typed them (lib/number: "1,5" is 1.5, "1,500" is ambiguous unless the field
 * takes whole numbers); the schema's upper bounds (domain/limits) turn 1e308 into a field error.
 */
export function parseSettingsForm(rawForm: FormData): SettingsFormResult {
  const form = cleanForm(rawForm);
  const errors: Record<string, string> = {};
  const num = (name: string, integer = false) => {
    const n = formNumber(form, name, errors, { integer });
    if (n === undefined) errors[name] = "Enter a number";
    return n ?? Number.NaN;
  };
  const offsetsRaw = (formText(form, "nudgeOffsetsDays") ?? "").trim();
  const offsets = offsetsRaw
    ? offsetsRaw
        .split(/[\s,;]+/)
        .filter(Boolean)
        .map((t) => (/^\d+$/.test(t) ? Number(t) : Number.NaN))
    : [];
  if (offsets.some((n) => !Number.isInteger(n))) errors.nudgeOffsetsDays = "Whole days, separated by commas (e.g. 14, 7, 2)";
  const input = {
    pointsPerUnit: num("pointsPerUnit"),
    lotLifetimeDays: num("lotLifetimeDays", true),
    redemptionRate: { points: num("ratePoints", true), value: num("rateValue") },
    nudgeOffsetsDays: offsets,
    bannerWindowDays: num("bannerWindowDays", true),
  };
  try {
    const settings = parseOrThrow(formSchema, input, "points settings");
    if (!Object.keys(errors).length) return { ok: true, settings };
    return { ok: false, errors };
  } catch (e) {
    if (!isAppError(e, "INVALID_INPUT")) throw e;
    for (const i of (e.details as FormIssue[] | undefined) ?? []) {
      const key = FIELD_OF[i.path.filter((p) => typeof p === "string").join(".")] ?? "form";
      errors[key] ??= key === "form" ? i.message : issueMessage(i);
    }
    return { ok: false, errors };
  }
}
