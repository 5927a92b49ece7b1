import { database } from "../db.server";
import { env } from "../env.server";
import type { JobQueue } from "../jobs/queue";
import { saveSettingsSection } from "../shop-settings.server";
import { POINTS_JOBS } from "./jobs";
import { pointsOverview } from "./read-overview";
import { parseSettingsForm, themeEditorUrl, type SettingsFormResult } from "./settings-form";

export async function loadPointsPage(shop: string) {
  await database.ready();
  const overview = await pointsOverview(database.sql, shop, new Date());
  return { overview, themeEditorUrl: themeEditorUrl(shop, env().SHOPIFY_API_KEY) };
}

/** `queue`: where the rebuild job goes (the composition root's queue, app/app.server.ts). */
export async function savePointsSettingsForm(shop: string, form: FormData, queue: Pick<JobQueue, "send">): Promise<SettingsFormResult> {
  const r = parseSettingsForm(form);
  if (!r.ok) return r;
  await database.ready();
  await saveSettingsSection(database.sql, shop, "points", r.settings);
  // Earn rate and lifetime change every lot: rebuild in the background, then refresh the storefront values.
  // Its own key: a plain sync already queued must not swallow the rebuild.
  await queue.send(POINTS_JOBS.sync, { shop, rebuild: true }, { singletonKey: `${POINTS_JOBS.sync}:${shop}:rebuild` });
  return r;
}
