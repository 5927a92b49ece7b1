export interface Settings {
  lapse: { atRiskDays: number; highRiskDays: number; lostDays: number };
  overdue: { minPurchaseDays: number; gapMultiplier: number };
  /** fixedThreshold (shop currency) overrides the percentile when set. */
  vip: { percentile: number; fixedThreshold: number | null };
  targets: { includeLost: boolean };
  /** churnInnerDays: no longer read — the churn combiner is trained for horizonDays (ADR 082); kept so stored settings parse. */
  prediction: { horizonDays: number; valueHorizonDays: number; minCustomers: number; minRepeatCustomers: number; churnInnerDays: number };
  norm: { lookbackDays: number; windowDays: number };
}

export const DEFAULT_SETTINGS: Settings = {
  lapse: { atRiskDays: 90, highRiskDays: 120, lostDays: 365 },
  overdue: { minPurchaseDays: 3, gapMultiplier: 2 },
  vip: { percentile: 0.9, fixedThreshold: null },
  targets: { includeLost: false },
  prediction: { horizonDays: 90, valueHorizonDays: 365, minCustomers: 30, minRepeatCustomers: 10, churnInnerDays: 91 },
  norm: { lookbackDays: 365, windowDays: 365 },
};

export type SettingsInput = { [K in keyof Settings]?: Partial<Settings[K]> };

export function resolveSettings(input: SettingsInput = {}): Settings {
  const out = structuredClone(DEFAULT_SETTINGS) as Settings;
  for (const k of Object.keys(input) as (keyof Settings)[]) Object.assign(out[k], input[k]);
  return out;
}
