import { z } from "zod";
import { parseOrThrow } from "../lib/parse";
import { pointsSettingsSchema, type PointsSettings } from "../domain/points";

/**
 * Whether the points program runs (ADR 079: points are opt-in). Off on a fresh install: no
 * reminder, no metafield or metafield definition, no banner data and no redemption until the
 * merchant turns points on in the Points page, choosing whether past orders earn points.
 */
export const pointsProgramSchema = z.object({
  enabled: z.boolean().default(false),
  /** Orders processed before this instant earn nothing ("from today"); null: past orders earn too. */
  earnFrom: z.iso.datetime().nullable().default(null),
  /** When the merchant last turned points on or off. */
  changedAt: z.iso.datetime().nullable().default(null),
});
export type PointsProgram = z.output<typeof pointsProgramSchema>;

/**
 * The merchant's points settings (Shop.settings.points): the domain's ledger rules plus what only
 * the app uses. `bannerWindowDays` mirrors the theme block's own "window" setting so the Points
 * page can say how many shoppers see the banner today (Shopify gives apps no way to read a theme's
 * block settings).
 */
export const pointsAppSettingsSchema = pointsSettingsSchema.extend({
  bannerWindowDays: z.number().int().min(1).max(60).default(14),
  program: pointsProgramSchema.prefault({}),
});

export type PointsAppSettings = z.output<typeof pointsAppSettingsSchema>;

export function parsePointsAppSettings(input: unknown): PointsAppSettings {
  return parseOrThrow(pointsAppSettingsSchema, input ?? {}, "points settings");
}

/** The ledger rules only: what rebuild/applyEvent see (extra keys would not change results, but keep states comparable). */
export function ledgerSettings(s: PointsAppSettings): PointsSettings {
  const { bannerWindowDays: _b, program: _p, ...rest } = s;
  return rest;
}

/** The first instant whose orders earn points (null: every order, retroactive). */
export function earnFromOf(s: Pick<PointsAppSettings, "program">): Date | null {
  return s.program.earnFrom ? new Date(s.program.earnFrom) : null;
}
