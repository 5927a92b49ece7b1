import type { SendOptions } from "../jobs/queue";
import { localDay, isoFromDay } from "../domain/analytics/index";
import { DAY_MS } from "../domain/analytics/dates";

export const ANALYSIS_JOBS = { run: "analysis.run", daily: "analysis.daily" } as const;

export interface QueueLike {
  send(queue: string, payload: unknown, opts?: SendOptions): Promise<string | null>;
}

export type AnalysisReason = "sync" | "settings" | "orders" | "manual";

/** After order webhooks: wait this long, so a burst of webhooks ends in one recompute. */
export const ORDER_CHANGE_DELAY_MS = 3 * 60_000;
// Requests that should run at once still coalesce within this window (double clicks, two hooks).
const IMMEDIATE_WINDOW_MS = 5_000;

/**
 * Enqueues a recompute. The run time is rounded up to a window boundary and the singleton key is
 * that run time: every request inside one window maps to the same queued job, and a request always
 * lands in a job that starts after it, so no change is missed even while an earlier run is active.
 */
export async function requestAnalysis(
  queue: QueueLike,
  shop: string,
  reason: AnalysisReason,
  now: Date = new Date(),
): Promise<{ jobId: string | null; runAt: Date }> {
  const delay = reason === "orders" ? ORDER_CHANGE_DELAY_MS : 0;
  const window = reason === "orders" ? ORDER_CHANGE_DELAY_MS : IMMEDIATE_WINDOW_MS;
  const runAt = new Date(Math.ceil((now.getTime() + delay) / window) * window);
  const jobId = await queue.send(ANALYSIS_JOBS.run, { shop, reason }, { runAt, singletonKey: `${shop}@${runAt.toISOString()}` });
  return { jobId, runAt };
}

/** Start of the next calendar day in the shop's zone (plus a few minutes), as an instant. */
export function nextLocalMidnight(now: Date, timeZone: string, afterMs = 5 * 60_000): Date {
  const next = localDay(now, timeZone) + 1;
  // Guess at UTC midnight of that date, then correct by the zone offset found there (twice, for DST days).
  let t = next * DAY_MS;
  for (let i = 0; i < 3; i++) {
    const diff = localDay(t, timeZone) - next;
    if (diff === 0) {
      // step back to the earliest instant of that local date, to the quarter hour
      while (localDay(t - 900_000, timeZone) === next) t -= 900_000;
      break;
    }
    t -= diff * DAY_MS;
  }
  while (localDay(t, timeZone) < next) t += 900_000;
  return new Date(t + afterMs);
}

/**
 * The daily recompute keeps "days since last order" true without any new order. One job per shop
 * and local date (the key names the date), so re-installs and the job re-scheduling itself while it
 * is still running never create a second chain.
 */
export async function scheduleDaily(
  queue: QueueLike,
  shop: string,
  timeZone: string,
  now: Date = new Date(),
): Promise<{ jobId: string | null; runAt: Date }> {
  const runAt = nextLocalMidnight(now, timeZone);
  const date = isoFromDay(localDay(runAt, timeZone));
  const jobId = await queue.send(ANALYSIS_JOBS.daily, { shop }, { runAt, singletonKey: `${shop}@${date}` });
  return { jobId, runAt };
}
