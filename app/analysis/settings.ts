import { z } from "zod";
import { DEFAULT_SETTINGS, type Settings, type TimeUnit } from "../domain/analytics/index";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { cleanForm, formNumber, formText } from "../lib/form";
import { loadSettingsSection, saveSettingsSection } from "../shop-settings.server";

/**
 * The merchant's analysis settings: every threshold of the domain `Settings` plus the model's time
 * unit, stored whole (not as a diff) in the `analysis` section so a later change of the defaults
 * never silently changes a merchant's saved rules.
 */
export interface AnalysisSettings {
  settings: Settings;
  timeUnit: TimeUnit;
}

export const DEFAULT_ANALYSIS_SETTINGS: AnalysisSettings = { settings: DEFAULT_SETTINGS, timeUnit: "week" };

const days = (max: number) =>
  z.number({ error: "Enter a number" }).int("Whole days only").min(1, "At least 1 day").max(max, `At most ${max} days`);

const SettingsSchema = z
  .object({
    lapse: z.object({ atRiskDays: days(3650), highRiskDays: days(3650), lostDays: days(3650) }),
    overdue: z.object({
      minPurchaseDays: z
        .number({ error: "Enter a number" })
        .int("Whole number only")
        .min(2, "At least 2 (a gap needs two purchase days)")
        .max(1000, "At most 1000"),
      gapMultiplier: z.number({ error: "Enter a number" }).gt(0, "Must be more than 0").max(100, "At most 100"),
    }),
    vip: z.object({
      percentile: z.number({ error: "Enter a number" }).gt(0, "Must be more than 0 %").max(1, "At most 100 %"),
      fixedThreshold: z.number({ error: "Enter an amount" }).min(0, "Cannot be negative").max(1e12, "Too large").nullable(),
    }),
    targets: z.object({ includeLost: z.boolean() }),
    prediction: z.object({
      horizonDays: days(3650),
      valueHorizonDays: days(3650),
      minCustomers: z
        .number({ error: "Enter a number" })
        .int("Whole number only")
        .min(10, "At least 10")
        .max(1_000_000, "At most 1,000,000"),
      minRepeatCustomers: z
        .number({ error: "Enter a number" })
        .int("Whole number only")
        .min(5, "At least 5")
        .max(1_000_000, "At most 1,000,000"),
      // No longer read: the churn combiner is trained for horizonDays (ADR 082). Kept, defaulted, so
      // stored settings still parse; the form no longer offers it.
      churnInnerDays: days(730).default(91),
    }),
    norm: z.object({ lookbackDays: days(3650), windowDays: days(3650) }),
  })
  .superRefine((s, ctx) => {
    if (s.lapse.highRiskDays <= s.lapse.atRiskDays) {
      ctx.addIssue({ code: "custom", path: ["lapse", "highRiskDays"], message: "Must be more than the at-risk threshold" });
    }
    if (s.lapse.lostDays <= s.lapse.highRiskDays) {
      ctx.addIssue({ code: "custom", path: ["lapse", "lostDays"], message: "Must be more than the high-risk threshold" });
    }
  });

export const AnalysisSettingsSchema = z.object({ settings: SettingsSchema, timeUnit: z.enum(["day", "week"]) });

/** Field path ("lapse.atRiskDays", "timeUnit") → message, for inline form errors. */
export type FieldErrors = Record<string, string>;

function issuesToFieldErrors(issues: z.core.$ZodIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const path = (i.path[0] === "settings" ? i.path.slice(1) : i.path).join(".") || "(form)";
    out[path] ??= i.message;
  }
  return out;
}

/** Fills missing keys from the defaults (sections saved by an older version), then validates. */
export function parseAnalysisSettings(raw: unknown): AnalysisSettings {
  const r = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const stored = (r.settings && typeof r.settings === "object" ? r.settings : {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const part = stored[k];
    merged[k] = { ...DEFAULT_SETTINGS[k], ...(part && typeof part === "object" ? part : {}) };
  }
  const parsed = AnalysisSettingsSchema.safeParse({ settings: merged, timeUnit: r.timeUnit ?? DEFAULT_ANALYSIS_SETTINGS.timeUnit });
  if (!parsed.success) {
    const errs = issuesToFieldErrors(parsed.error.issues);
    throw new AppError(
      "CONFIG",
      `Stored analysis settings are invalid: ${Object.entries(errs)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ")}`,
      { details: errs },
    );
  }
  return parsed.data;
}

export function loadAnalysisSettings(sql: Sql, shop: string): Promise<AnalysisSettings> {
  return loadSettingsSection(sql, shop, "analysis", parseAnalysisSettings);
}

export async function saveAnalysisSettings(sql: Sql, shop: string, value: AnalysisSettings): Promise<void> {
  // Re-validated here too: nothing unvalidated reaches the stored section, whoever calls.
  const checked = AnalysisSettingsSchema.parse(value);
  await saveSettingsSection(sql, shop, "analysis", checked);
}

/** The form's field names; numbers in the form are what merchants type (percent for the VIP percentile). */
export const FORM_FIELDS = {
  numbers: [
    "lapse.atRiskDays",
    "lapse.highRiskDays",
    "lapse.lostDays",
    "overdue.minPurchaseDays",
    "overdue.gapMultiplier",
    "prediction.horizonDays",
    "prediction.valueHorizonDays",
    "prediction.minCustomers",
    "prediction.minRepeatCustomers",
    "norm.lookbackDays",
    "norm.windowDays",
  ],
} as const;

/** Fields that take decimals; every other number on the form counts days or customers (whole numbers). */
const DECIMAL_FIELDS = new Set<string>(["overdue.gapMultiplier", "vip.percentile", "vip.fixedThreshold"]);

/**
 * Parses the settings form. Bad input never throws: it comes back as per-field messages and the
 * stored settings stay as they were. Numbers are read as the merchant typed them (lib/number):
 * "1,5" is 1.5 (it used to become 15), "1,500" is ambiguous for a decimal field and 1500 for a
 * whole-number one.
 */
export function parseSettingsForm(rawForm: FormData): { ok: true; value: AnalysisSettings } | { ok: false; errors: FieldErrors } {
  const form = cleanForm(rawForm);
  const errors: FieldErrors = {};
  const num = (name: string) => formNumber(form, name, errors, { integer: !DECIMAL_FIELDS.has(name) });
  const s: Record<string, Record<string, unknown>> = { lapse: {}, overdue: {}, vip: {}, targets: {}, prediction: {}, norm: {} };
  for (const name of FORM_FIELDS.numbers) {
    const n = num(name);
    const [sec, key] = name.split(".") as [string, string];
    if (n === undefined) errors[name] = "Required";
    s[sec]![key] = n;
  }
  const vipMode = formText(form, "vip.mode");
  if (vipMode !== "percentile" && vipMode !== "fixed") errors["vip.mode"] = "Choose how VIPs are defined";
  const pct = num("vip.percentile");
  if (pct === undefined) errors["vip.percentile"] = "Required";
  s.vip!.percentile = pct === undefined ? undefined : pct / 100;
  if (vipMode === "fixed") {
    const amt = num("vip.fixedThreshold");
    if (amt === undefined) errors["vip.fixedThreshold"] = "Enter the amount, or use the percentile";
    s.vip!.fixedThreshold = amt;
  } else s.vip!.fixedThreshold = null;
  s.targets!.includeLost = formText(form, "targets.includeLost") === "on" || formText(form, "targets.includeLost") === "true";
  const timeUnit = formText(form, "timeUnit");
  // Checked here as well as in the schema: zod skips refinements while any field is invalid, and
  // the merchant should see every problem after one save.
  const l = s.lapse as Record<string, number | undefined>;
  const ok = (n: number | undefined): n is number => typeof n === "number" && Number.isFinite(n);
  if (ok(l.atRiskDays) && ok(l.highRiskDays) && l.highRiskDays <= l.atRiskDays)
    errors["lapse.highRiskDays"] ??= "Must be more than the at-risk threshold";
  if (ok(l.highRiskDays) && ok(l.lostDays) && l.lostDays <= l.highRiskDays)
    errors["lapse.lostDays"] ??= "Must be more than the high-risk threshold";
  const parsed = AnalysisSettingsSchema.safeParse({ settings: s, timeUnit });
  if (!parsed.success) {
    for (const [k, v] of Object.entries(issuesToFieldErrors(parsed.error.issues))) errors[k] ??= v;
  }
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}
