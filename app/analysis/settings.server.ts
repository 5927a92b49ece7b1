import { database } from "../db.server";
import type { JobQueue } from "../jobs/queue";
import { shopFacts } from "../shop-settings.server";
import { onSettingsSaved } from "./jobs";
import { loadAnalysisSettings, parseSettingsForm, saveAnalysisSettings, type AnalysisSettings, type FieldErrors } from "./settings";

export async function loadSettingsPage(shop: string): Promise<{ value: AnalysisSettings; currencyCode: string }> {
  await database.ready();
  const [value, facts] = await Promise.all([loadAnalysisSettings(database.sql, shop), shopFacts(database.sql, shop)]);
  return { value, currencyCode: facts.currencyCode };
}

/** Validates the form, stores the section and enqueues a recompute; invalid input changes nothing. */
/** `queue`: where the recompute goes (the composition root's queue, app/app.server.ts). */
export async function saveSettingsForm(shop: string, form: FormData, queue: Pick<JobQueue, "send">): Promise<{ ok: true; value: AnalysisSettings; recomputeAt: string } | { ok: false; errors: FieldErrors }> {
  const parsed = parseSettingsForm(form);
  if (!parsed.ok) return parsed;
  await database.ready();
  await saveAnalysisSettings(database.sql, shop, parsed.value);
  const { runAt } = await onSettingsSaved({ sql: database.sql, queue }, shop);
  return { ok: true, value: parsed.value, recomputeAt: runAt.toISOString() };
}
