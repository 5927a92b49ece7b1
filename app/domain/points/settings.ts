import { z } from "zod";
import { AppError } from "../../lib/errors";
import { MAX_COUNT, MAX_MONEY_AMOUNT } from "../limits";

export const pointsSettingsSchema = z.object({
  /** points per 1.00 of shop currency on a qualifying order, rounded down per order */
  pointsPerUnit: z.number().positive().max(1000).default(1),
  /** each earn lot expires this many days (× 24h) after the order */
  lotLifetimeDays: z.number().int().min(1).max(3650).default(365),
  /** `points` points are worth `value` in shop currency; redemptions are multiples of `points` */
  redemptionRate: z
    .object({
      points: z
        .number()
        .int()
        .positive()
        .max(MAX_COUNT, `at most ${MAX_COUNT.toLocaleString("en-US")} points`)
        .default(100),
      value: z
        .number()
        .positive()
        .max(MAX_MONEY_AMOUNT, `at most ${MAX_MONEY_AMOUNT.toLocaleString("en-US")}`)
        .default(5),
    })
    .prefault({}),
  /** reminders this many days before a lot expires */
  nudgeOffsetsDays: z
    .array(z.number().int().min(1).max(365))
    .max(5)
    .refine((a) => new Set(a).size === a.length, { message: "nudge offsets must be distinct" })
    .default([14, 7, 2]),
});

export type PointsSettings = z.output<typeof pointsSettingsSchema>;
export type PointsSettingsInput = z.input<typeof pointsSettingsSchema>;
export type RedemptionRate = PointsSettings["redemptionRate"];

export function parsePointsSettings(input: unknown): PointsSettings {
  const r = pointsSettingsSchema.safeParse(input ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("INVALID_INPUT", `points settings: ${detail}`, { details: r.error.issues });
  }
  return r.data;
}

export const defaultPointsSettings = (): PointsSettings => parsePointsSettings({});

/**
 * What a shopper can get for these points: whole rewards only, as a redemption gives (260 points
 * at 100 per 5.00 are worth 10.00). Every figure shown to a shopper uses this one.
 */
export function rewardValue(points: number, rate: RedemptionRate): number {
  return (Math.floor(points / rate.points) * Math.round(rate.value * 100)) / 100;
}

/** Currency value of points at the rate, in cents precision; fractional multiples are allowed (shop-level reporting). */
export function valueOfPoints(points: number, rate: RedemptionRate): number {
  return Math.round((points * Math.round(rate.value * 100)) / rate.points) / 100;
}
