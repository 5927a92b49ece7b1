import { AppError } from "../lib/errors";
import { deactivateCodeDiscount } from "../shopify/discounts";
import { requireOk } from "../shopify/response";
import type { CampaignDeps } from "./deps";
import { enqueueTouchBatch, TOUCH_QUEUE } from "./launch";
import { getCampaign, pauseCampaignRow, releaseHeldTouches, resumeCampaignRow, setTouchJobs, stopCampaignRows } from "./store";

/*
 * The merchant's controls of a running campaign (ADR 077), each doing what its label says:
 * - pause: no email goes out; a touch that falls due meanwhile is held, not dropped; the code keeps working;
 * - resume: the held touches go out now (the frequency cap still spaces them), later ones on their days;
 * - stop: the campaign ends for good: no further touches, the discount code ends in Shopify,
 *   treated members exit. Measurement still covers the window (what was sent is measured).
 */

/** What each control does, in the words the campaign page shows next to its button. */
export const CONTROL_EXPLANATIONS = {
  pause:
    "Pausing stops every email of this campaign. Emails that fall due while it is paused are held and go out when you resume. The discount code keeps working.",
  resume:
    "Resuming sends the held emails now (still at most one win-back email per customer within the frequency cap); later emails go out on their days.",
  stop: "Stopping ends the campaign for good: no further emails, the discount code is ended in Shopify, and every customer leaves the sequence. Results keep being measured until the end of the window. This cannot be undone.",
} as const;

export async function pauseCampaign(deps: Pick<CampaignDeps, "sql" | "now">, shop: string, campaignId: string): Promise<void> {
  const c = await getCampaign(deps.sql, shop, campaignId);
  if (c.status !== "active") throw new AppError("CONFLICT", `Only an active campaign can be paused (this one is ${c.status})`);
  await pauseCampaignRow(deps.sql, campaignId, "Paused by the merchant.", deps.now());
}

/** Resumes a paused campaign and sends the touches held meanwhile; returns how many were held. */
export async function resumeCampaign(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  shop: string,
  campaignId: string,
): Promise<{ released: number }> {
  const c = await getCampaign(deps.sql, shop, campaignId);
  if (c.status !== "paused") throw new AppError("CONFLICT", `Only a paused campaign can be resumed (this one is ${c.status})`);
  if (!(await resumeCampaignRow(deps.sql, campaignId))) throw new AppError("CONFLICT", "The campaign changed meanwhile; reload the page");
  return sendHeldTouches(deps, shop, campaignId);
}

/**
 * Queues the touches held while a campaign or program was paused (after the row is active again);
 * returns how many. Programs turned back on use it too, so nothing held is left behind.
 */
export async function sendHeldTouches(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  shop: string,
  campaignId: string,
): Promise<{ released: number }> {
  const now = deps.now();
  const held = await releaseHeldTouches(deps.sql, campaignId);
  // Batched touches (ADR 084): one job per batch that had a held touch, due now.
  const batches = new Map<string, { day: number; batch: number }>();
  const jobs: Array<{ customerId: string; day: number; jobId: string }> = [];
  for (const t of held) {
    if (t.batch != null) {
      batches.set(`${t.day}:${t.batch}`, { day: t.day, batch: t.batch });
      continue;
    }
    // A touch written before batching: its own job, with a fresh singleton key (the touch's own key belongs to the job that found it paused).
    const jobId = await deps.queue.send(
      TOUCH_QUEUE,
      { shop, campaignId, customerId: t.customerId, day: t.day },
      { runAt: now, singletonKey: `campaign.touch:${campaignId}:${t.customerId}:${t.day}:resume:${now.getTime()}` },
    );
    jobs.push({ customerId: t.customerId, day: t.day, jobId: jobId ?? "existing" });
  }
  if (jobs.length) await setTouchJobs(deps.sql, campaignId, jobs);
  for (const b of batches.values()) await enqueueTouchBatch(deps, { shop, campaignId, ...b, runAt: now });
  return { released: held.length };
}

/**
 * Stops a campaign for good. The discount is ended in Shopify first: if Shopify refuses, nothing
 * changes here and its message is shown (the merchant can retry); a campaign whose code is already
 * gone in Shopify ("does not exist") still stops.
 */
export async function stopCampaign(
  deps: Pick<CampaignDeps, "sql" | "client" | "now">,
  shop: string,
  campaignId: string,
): Promise<{ discountEnded: boolean }> {
  const c = await getCampaign(deps.sql, shop, campaignId);
  // A launch stopped on an error the merchant will not fix can be abandoned too: its members would
  // otherwise stay "in a sequence" (ADR 077) and out of every other campaign.
  const failedLaunch = c.status === "launching" && !!c.launchError && !c.launchError.endsWith("(retrying)");
  if (c.status !== "active" && c.status !== "paused" && !failedLaunch) {
    throw new AppError(
      "CONFLICT",
      `Only an active or paused campaign, or a launch that stopped on an error, can be stopped (this one is ${c.status})`,
    );
  }
  let discountEnded = false;
  // An offer experiment has one code per arm instead of the campaign's (ADR 099): every one ends.
  const ids = [c.discountId, ...Object.values(c.launchSteps.discount?.arms ?? {})].filter((x): x is string => !!x);
  for (const id of ids) {
    const r = await deactivateCodeDiscount(await deps.client(shop), id);
    const gone = !r.ok && r.userErrors.every((u) => /does not exist/i.test(u.message));
    if (!gone) requireOk(r, "discountCodeDeactivate");
    discountEnded ||= r.ok;
  }
  if (!(await stopCampaignRows(deps.sql, campaignId, deps.now())))
    throw new AppError("CONFLICT", "The campaign changed meanwhile; reload the page");
  return { discountEnded };
}
