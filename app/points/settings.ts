import { z } from "zod";
import { parseOrThrow } from "../lib/parse";
import { pointsSettingsSchema, type PointsSettings } from "../domain/points";

/**
 * The merchant's points settings (Shop.settings.points): the domain's ledger rules plus what only
 * the app uses. `bannerWindowDays` mirrors the theme block's own "window" setting so the Points
 * page can say how many shoppers see the banner today (Shopify gives apps no way to read a theme's
 * block settings).
 */
export const pointsAppSettingsSchema = pointsSettingsSchema.extend({
  bannerWindowDays: z.number().int().min(1).max(60).default(14),
});

export type PointsAppSettings = z.output<typeof pointsAppSettingsSchema>;

export function parsePointsAppSettings(input: unknown): PointsAppSettings {
  return parseOrThrow(pointsAppSettingsSchema, input ?? {}, "points settings");
}

/** The ledger rules only: what rebuild/applyEvent see (extra keys would not change results, but keep states comparable). */
export function ledgerSettings(s: PointsAppSettings): PointsSettings {
  const { bannerWindowDays: _b, ...rest } = s;
  return rest;
}
