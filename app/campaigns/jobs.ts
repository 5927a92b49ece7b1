import { z } from "zod";
import { defineJob, type JobDefinition } from "../jobs/queue";
import type { CampaignDeps } from "./deps";
import {
  COMPLETE_QUEUE,
  LaunchPayload,
  LAUNCH_QUEUE,
  runLaunch,
  TOUCH_BATCH_QUEUE,
  TOUCH_QUEUE,
  TouchBatchPayload,
  TouchPayload,
} from "./launch";
import { PROGRAM_DAY_QUEUE, ProgramDayPayload, runProgramDay } from "./program-run";
import { MARKETING_REPORT_QUEUE, MarketingReportPayload, runMarketingReport } from "./marketing-report";
import { completeCampaign, runTouch, runTouchBatch } from "./touch";

/** The campaign jobs, over a deps factory so tests and production wire them differently. */
export function campaignJobDefinitions(deps: () => Promise<CampaignDeps>): JobDefinition[] {
  return [
    // An always-on program's day (ADR 078): enrol, follow up, guardrails, queue tomorrow.
    defineJob({
      queue: PROGRAM_DAY_QUEUE,
      singleton: true,
      payload: ProgramDayPayload,
      handler: async (p) => void (await runProgramDay(await deps(), p)),
    }),
    defineJob({
      queue: LAUNCH_QUEUE,
      singleton: true,
      payload: LaunchPayload,
      handler: async (p) => runLaunch(await deps(), p),
    }),
    defineJob({
      queue: TOUCH_QUEUE,
      payload: TouchPayload,
      handler: async (p) => {
        await runTouch(await deps(), p);
      },
    }),
    // One campaign, day and batch of touches (ADR 084); the per-touch queue above stays for touches written before.
    defineJob({
      queue: TOUCH_BATCH_QUEUE,
      payload: TouchBatchPayload,
      // A batch sends up to TOUCH_BATCH_SIZE emails; the runner renews the lease while it runs anyway.
      expireInSeconds: 900,
      handler: async (p) => {
        await runTouchBatch(await deps(), p);
      },
    }),
    // Shopify's Marketing reports (ADR 092): one campaign's activity and engagement.
    defineJob({
      queue: MARKETING_REPORT_QUEUE,
      payload: MarketingReportPayload,
      handler: async (p) => void (await runMarketingReport(await deps(), p)),
    }),
    defineJob({
      queue: COMPLETE_QUEUE,
      singleton: true,
      payload: z.object({ shop: z.string().min(1), campaignId: z.string().min(1) }),
      handler: async (p) => {
        const d = await deps();
        await completeCampaign(d.sql, p.shop, p.campaignId, d.now());
      },
    }),
  ];
}
