import { z } from "zod";
import type { AppContext } from "../jobs/feature";
import { AppError, httpStatusFor } from "../lib/errors";
import { formObject } from "../lib/form";
import { parseOrThrow } from "../lib/parse";
import { saveSettingsSection } from "../shop-settings.server";
import { POINTS_JOBS } from "./jobs";
import { pointsOverview } from "./read-overview";
import { parseSettingsForm, themeEditorUrl, type SettingsFormResult } from "./settings-form";
import { loadPointsSettings } from "./store";
import { turnPointsOff, turnPointsOn } from "./turn-on";

/** What the Points page's loader and action need from the app's context. */
export type PointsPageContext = Pick<AppContext, "db" | "queue" | "now" | "env">;

export async function loadPointsPage(ctx: PointsPageContext, shop: string) {
  await ctx.db.ready();
  const overview = await pointsOverview(ctx.db.sql, shop, ctx.now());
  return { overview, themeEditorUrl: themeEditorUrl(shop, ctx.env().SHOPIFY_API_KEY) };
}

/** Saves the settings form; the program state (on/off, earning start) is kept as it is. */
export async function savePointsSettingsForm(ctx: PointsPageContext, shop: string, form: FormData): Promise<SettingsFormResult> {
  const r = parseSettingsForm(form);
  if (!r.ok) return r;
  await ctx.db.ready();
  const current = await loadPointsSettings(ctx.db.sql, shop);
  const settings = { ...r.settings, program: current.program };
  await saveSettingsSection(ctx.db.sql, shop, "points", settings);
  // Earn rate and lifetime change every lot: rebuild in the background, then refresh the storefront
  // values (the job does nothing while points are off). Its own key: a queued plain sync must not swallow it.
  await ctx.queue.send(POINTS_JOBS.sync, { shop, rebuild: true }, { singletonKey: `${POINTS_JOBS.sync}:${shop}:rebuild` });
  return r;
}

const ProgramForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("turn-on"), pastOrders: z.enum(["yes", "no"], { message: "Choose whether past orders earn points" }) }),
  z.object({ intent: z.literal("turn-off") }),
]);

export type PointsActionResult =
  | (SettingsFormResult & { intent: "settings" })
  | { intent: "turn-on" | "turn-off"; ok: true; enabled: boolean }
  | { intent: "turn-on" | "turn-off"; ok: false; errors: Record<string, string> };

/** The Points page's action: the settings form, or turning the program on or off. */
export async function handlePointsAction(
  ctx: PointsPageContext,
  shop: string,
  form: FormData,
): Promise<{ result: PointsActionResult; status: number }> {
  const intent = form.get("intent");
  if (intent !== "turn-on" && intent !== "turn-off") {
    const r = await savePointsSettingsForm(ctx, shop, form);
    return { result: { ...r, intent: "settings" }, status: r.ok ? 200 : 400 };
  }
  try {
    const f = parseOrThrow(ProgramForm, formObject(form), "points program");
    await ctx.db.ready();
    const deps = { sql: ctx.db.sql, queue: ctx.queue, now: ctx.now };
    const program =
      f.intent === "turn-on" ? await turnPointsOn(deps, shop, { pastOrders: f.pastOrders === "yes" }) : await turnPointsOff(deps, shop);
    return { result: { intent: f.intent, ok: true, enabled: program.enabled }, status: 200 };
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return { result: { intent, ok: false, errors: { form: e.message } }, status: httpStatusFor(e.code) };
  }
}
