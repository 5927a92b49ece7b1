import { z } from "zod";
import type { AppContext, Feature } from "../jobs/feature";
import { defineJob } from "../jobs/queue";
import { ShopDomain } from "../lib/parse";
import { ensureDaily, onOrderChanged, onSyncCompleted, runAnalysisJob, runDailyJob, type AnalysisJobDeps } from "./jobs";
import { ANALYSIS_JOBS } from "./schedule";
import { analysisCompliance } from "./store";

/**
 * The analysis feature's jobs and hooks (see app/jobs/feature.ts), built from the app's context.
 * - analysis.run   {shop, reason?}  recompute now (sync finished, settings saved) or a few minutes
 *                                   after order webhooks (one job per time window, see schedule.ts)
 * - analysis.daily {shop}           recompute after local midnight, then schedule tomorrow's
 */
export function createAnalysisFeature(ctx: AppContext): Feature {
  const deps = async (): Promise<AnalysisJobDeps> => {
    await ctx.db.ready();
    return { sql: ctx.db.sql, queue: ctx.queue };
  };
  return {
    name: "analysis",
    jobs: [
      defineJob({
        queue: ANALYSIS_JOBS.run,
        singleton: true,
        payload: z.object({ shop: ShopDomain, reason: z.enum(["sync", "settings", "orders", "manual"]).optional() }),
        handler: async (p) => void (await runAnalysisJob(await deps(), p.shop)),
      }),
      defineJob({
        queue: ANALYSIS_JOBS.daily,
        singleton: true,
        payload: z.object({ shop: ShopDomain }),
        handler: async (p) => void (await runDailyJob(await deps(), p.shop)),
      }),
    ],
    afterInstall: async (shop) => void (await ensureDaily(await deps(), shop)),
    onSyncCompleted: async (shop) => void (await onSyncCompleted(await deps(), shop)),
    onOrderChanged: async (event) => void (await onOrderChanged(await deps(), event)),
    ...analysisCompliance,
  };
}
