import { z } from "zod";
import type { Sql } from "../db/sql";
import { defineJob, type JobDefinition, type JobQueue } from "../jobs/queue";
import { reconcileWonBack, runEscalations, type EscalationRun } from "./escalate-tasks";
import { countOpenTasks } from "./store";
import { DAY_MS } from "../domain/analytics/dates";

export const ESCALATE_QUEUE = "outreach.escalate";

export interface OutreachDeps {
  sql: Sql;
  queue: Pick<JobQueue, "send">;
  now: () => Date;
  /** Optional owner digest (SMTP configured); escalations are recorded either way. */
  notifyOwners?: (shop: string, escalated: EscalationRun["escalated"]) => Promise<unknown>;
}

/**
 * Runs the shop's escalation check at `at`. The singleton key is per shop and minute, so launches,
 * retries and the daily run asking for the same moment enqueue it once. Call it after each
 * createOutreachTasks with the earliest escalation time (launch + followUpDays + graceDays).
 */
export async function scheduleEscalations(queue: Pick<JobQueue, "send">, shop: string, at: Date): Promise<string | null> {
  const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  return queue.send(ESCALATE_QUEUE, { shop }, { runAt: minute, singletonKey: `${shop}:at:${minute.toISOString()}` });
}

/** The next daily check: shortly after the next UTC midnight, one per shop and day however many runs ask. */
export async function scheduleDailyEscalations(queue: Pick<JobQueue, "send">, shop: string, now: Date): Promise<string | null> {
  const next = new Date((Math.floor(now.getTime() / DAY_MS) + 1) * DAY_MS + 5 * 60_000);
  return queue.send(ESCALATE_QUEUE, { shop }, { runAt: next, singletonKey: `${shop}:daily:${next.toISOString().slice(0, 10)}` });
}

/** One escalation pass: won-back sweep first (an order beats an escalation), then the time-driven moves. */
export async function escalationPass(deps: OutreachDeps, shop: string): Promise<EscalationRun & { wonBack: number; openLeft: number }> {
  const now = deps.now();
  const won = await reconcileWonBack(deps.sql, shop, now);
  const run = await runEscalations(deps.sql, shop, now);
  if (run.escalated.length && deps.notifyOwners) {
    // The escalation is committed and shown on the page; a mail failure must not retry the job.
    await deps.notifyOwners(shop, run.escalated).catch((e) => console.error(`[outreach] owner notice for ${shop} failed`, e));
  }
  const openLeft = await countOpenTasks(deps.sql, shop);
  // Keep checking daily while anything can still escalate; a shop without open tasks costs nothing.
  if (openLeft > 0) await scheduleDailyEscalations(deps.queue, shop, now);
  return { ...run, wonBack: won.length, openLeft };
}

export function outreachJobDefinitions(deps: () => Promise<OutreachDeps>): JobDefinition[] {
  return [
    defineJob({
      queue: ESCALATE_QUEUE,
      payload: z.object({ shop: z.string().min(1) }),
      handler: async ({ shop }) => {
        const r = await escalationPass(await deps(), shop);
        if (r.escalated.length || r.wonBack) {
          console.info(`[outreach] ${shop}: ${r.escalated.length} escalated, ${r.followUpDue} follow-up due, ${r.wonBack} won back`);
        }
      },
    }),
  ];
}
