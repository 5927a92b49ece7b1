import { z } from "zod";
import type { Feature } from "../jobs/feature";
import { defineJob } from "../jobs/queue";
import { ANALYSIS_JOBS } from "./schedule";
import { ShopDomain } from "../lib/parse";

/**
 * The analysis feature's jobs and hooks (see app/jobs/feature.ts).
 * - analysis.run   {shop, reason?}  recompute now (sync finished, settings saved) or a few minutes
 *                                   after order webhooks (one job per time window, see schedule.ts)
 * - analysis.daily {shop}           recompute after local midnight, then schedule tomorrow's
 */

// Heavy wiring is loaded on first use: shopify.server imports the composition root that lists this file.
async function wiring() {
  const [{ database }, { jobQueue }, jobs] = await Promise.all([
    import("../db.server"),
    import("../jobs/worker.server"),
    import("./jobs"),
  ]);
  await database.ready();
  return { sql: database.sql, queue: jobQueue(), jobs };
}

export const analysisFeature: Feature = {
  name: "analysis",
  jobs: [
    defineJob({
      queue: ANALYSIS_JOBS.run,
      singleton: true,
      payload: z.object({ shop: ShopDomain, reason: z.enum(["sync", "settings", "orders", "manual"]).optional() }),
      handler: async (p) => {
        const w = await wiring();
        await w.jobs.runAnalysisJob({ sql: w.sql, queue: w.queue }, p.shop);
      },
    }),
    defineJob({
      queue: ANALYSIS_JOBS.daily,
      singleton: true,
      payload: z.object({ shop: ShopDomain }),
      handler: async (p) => {
        const w = await wiring();
        await w.jobs.runDailyJob({ sql: w.sql, queue: w.queue }, p.shop);
      },
    }),
  ],
  afterInstall: async (shop) => {
    const w = await wiring();
    await w.jobs.ensureDaily({ sql: w.sql, queue: w.queue }, shop);
  },
  onSyncCompleted: async (shop) => {
    const w = await wiring();
    await w.jobs.onSyncCompleted({ sql: w.sql, queue: w.queue }, shop);
  },
  onOrderChanged: async (event) => {
    const w = await wiring();
    await w.jobs.onOrderChanged({ sql: w.sql, queue: w.queue }, event);
  },
};
