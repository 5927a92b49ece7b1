import { z } from "zod";
import { discountCodeFor } from "../domain/campaigns";
import { DAY_MS } from "../domain/analytics/dates";
import { AppError, isAppError } from "../lib/errors";
import { createEngagement, upsertExternalActivity, type ExternalActivityInput } from "../shopify/marketing";
import { grantedScopes, shopFacts } from "../shop-settings.server";
import type { CampaignDeps } from "./deps";
import { measureRow } from "./measure";
import { measureProgramRow } from "./program-measure";
import { getCampaign, recordMarketingReport, type CampaignRow, type ProgramRow } from "./store";

/**
 * Each campaign and program as an external marketing activity in the merchant's Shopify Marketing
 * reports, with its engagement (issue 15 item 2; ADR 092). Reported once a day and on every status
 * change; both writes are idempotent (the activity is upserted by remoteId, the engagement is
 * cumulative and a same-day write replaces the earlier one), so a retried job changes nothing.
 */
export const MARKETING_REPORT_QUEUE = "campaign.marketing-report";
export const MarketingReportPayload = z.object({ shop: z.string().min(1), campaignId: z.string().min(1) });

export const MARKETING_SCOPE = "write_marketing_events";

/** Ours and stable: the upsert key Shopify knows the activity by. */
export const marketingRemoteId = (campaignId: string) => `winback-${campaignId}`;

/**
 * UTM parameters are fixed at creation (Shopify refuses to change them: IMMUTABLE_UTM_PARAMETERS),
 * so they derive from the campaign id alone. The emails' links carry the same values, which is how
 * Shopify attributes sessions and orders to the activity.
 */
export function marketingUtm(campaignId: string): { campaign: string; source: string; medium: string } {
  return { campaign: discountCodeFor(campaignId).toLowerCase(), source: "winback", medium: "email" };
}

/** Where the merchant manages the activity: the campaign's page inside the embedded app. */
export function campaignAdminUrl(shop: string, apiKey: string | undefined, c: Pick<CampaignRow, "id" | "kind">): string {
  if (!apiKey) throw new AppError("INTERNAL", "The marketing report needs the app's API key (SHOPIFY_API_KEY) for its link");
  const path = c.kind === "program" ? "app/programs" : `app/campaigns/${c.id}`;
  return `https://${shop}/admin/apps/${apiKey}/${path}`;
}

export function activityStatus(c: Pick<CampaignRow, "status">): ExternalActivityInput["status"] | null {
  switch (c.status) {
    case "active":
      return "ACTIVE";
    case "paused":
      return "PAUSED";
    case "completed":
    case "stopped":
      return "INACTIVE";
    default:
      return null; // not launched yet: nothing to report
  }
}

/** The shop's calendar day and UTC offset ("+01:00") at `at`, as Shopify's engagement wants them. */
export function shopDay(at: Date, timeZone: string): { occurredOn: string; utcOffset: string } {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZoneName: "longOffset",
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const offset = get("timeZoneName").replace("GMT", "");
  return { occurredOn: `${get("year")}-${get("month")}-${get("day")}`, utcOffset: offset === "" ? "+00:00" : offset };
}

export type MarketingReportResult =
  | { reported: true; activityId: string; occurredOn: string }
  | { reported: false; reason: "not_launched" | "missing_scope" | "refused"; message?: string };

/**
 * Upserts the activity and today's cumulative engagement. A refusal (userErrors) is stored on the
 * campaign for the merchant to see and not retried blindly: the same input would be refused again.
 * Without the scope (a merchant who has not yet approved the updated permissions) nothing is sent.
 */
export async function reportMarketingActivity(
  deps: Pick<CampaignDeps, "sql" | "client" | "messageCounts" | "now" | "apiKey">,
  p: z.infer<typeof MarketingReportPayload>,
): Promise<MarketingReportResult> {
  const now = deps.now();
  const c = await getCampaign(deps.sql, p.shop, p.campaignId);
  const status = activityStatus(c);
  if (!status) return { reported: false, reason: "not_launched" };
  const scopes = await grantedScopes(deps.sql, p.shop);
  if (scopes && !scopes.includes(MARKETING_SCOPE)) {
    await recordMarketingReport(deps.sql, c.id, {
      at: now,
      error: `Needs the ${MARKETING_SCOPE} permission (approve the app's updated permissions)`,
    });
    return { reported: false, reason: "missing_scope" };
  }
  const facts = await shopFacts(deps.sql, p.shop);
  const client = await deps.client(p.shop);
  const remoteId = marketingRemoteId(c.id);
  const start = c.launchAt ?? c.createdAt;
  const activity = await upsertExternalActivity(client, {
    remoteId,
    title: c.kind === "program" ? `Winback program: ${c.name}` : `Winback: ${c.name}`,
    remoteUrl: campaignAdminUrl(p.shop, deps.apiKey, c),
    status,
    utm: marketingUtm(c.id),
    start: start.toISOString(),
    scheduledEnd: c.endsAt?.toISOString() ?? null,
    end: status === "INACTIVE" ? (c.stoppedAt ?? c.endsAt ?? now).toISOString() : null,
  });
  if (!activity.ok) return refused(deps, c.id, now, activity.userErrors);

  const e = await engagementOf(deps, c);
  const day = shopDay(now, facts.ianaTimezone);
  const engagement = await createEngagement(client, remoteId, {
    ...day,
    sendsCount: e.sends,
    ...(e.clicks ? { clicksCount: e.clicks.total, uniqueClicksCount: e.clicks.unique } : {}),
    unsubscribesCount: e.unsubscribes,
    complaintsCount: e.complaints,
    orders: e.orders,
    sales: e.sales === null ? null : { amount: e.sales.toFixed(2), currencyCode: facts.currencyCode },
  });
  if (!engagement.ok) return refused(deps, c.id, now, engagement.userErrors);
  await recordMarketingReport(deps.sql, c.id, { at: now, activityId: activity.value.activityId, occurredOn: day.occurredOn, error: null });
  return { reported: true, activityId: activity.value.activityId, occurredOn: day.occurredOn };
}

async function refused(
  deps: Pick<CampaignDeps, "sql">,
  campaignId: string,
  now: Date,
  userErrors: Array<{ message: string; code: string | null }>,
): Promise<MarketingReportResult> {
  const message = userErrors.map((u) => `${u.message}${u.code ? ` (${u.code})` : ""}`).join("; ");
  await recordMarketingReport(deps.sql, campaignId, { at: now, error: `Shopify refused the marketing report: ${message}` });
  return { reported: false, reason: "refused", message };
}

/** Cumulative engagement so far: deliveries and opt-outs, and the treated arm's orders and revenue. */
async function engagementOf(
  deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">,
  c: CampaignRow,
): Promise<{
  sends: number;
  clicks: { total: number; unique: number } | null;
  unsubscribes: number;
  complaints: number;
  orders: number;
  sales: number | null;
}> {
  if (c.kind === "program") {
    const r = await measureProgramRow(deps, c as ProgramRow);
    const orders = r.measurement.cohorts.reduce((s, w) => s + w.treatedReactivated, 0);
    return {
      sends: r.deliveries.delivered,
      clicks: clicksOf(r.deliveries),
      unsubscribes: r.deliveries.unsubscribed,
      complaints: r.deliveries.complaints,
      orders,
      sales: null,
    };
  }
  const r = await measureRow(deps, c);
  const t = r.measurement.treated;
  return {
    sends: r.deliveries.delivered,
    clicks: clicksOf(r.deliveries),
    unsubscribes: r.deliveries.unsubscribed,
    complaints: r.deliveries.complaints,
    orders: t.reactivated,
    sales: t.revenuePerCustomer === null ? null : t.revenuePerCustomer * t.n,
  };
}

/** Human clicks on the campaign's tracked links (ADR 093), when messaging counts them. */
function clicksOf(d: { clicks?: number; uniqueClicks?: number }): { total: number; unique: number } | null {
  return d.clicks === undefined ? null : { total: d.clicks, unique: d.uniqueClicks ?? 0 };
}

/** When the next daily report is due: tomorrow, while the campaign or its measurement window runs. */
export function nextReportAt(c: Pick<CampaignRow, "status" | "kind" | "endsAt">, now: Date): Date | null {
  if (c.status === "stopped" || c.status === "completed") return null;
  // A program reports with each of its days (program-run.ts), not on its own schedule.
  if (c.kind === "program") return null;
  if (c.endsAt && now.getTime() >= c.endsAt.getTime()) return null;
  return new Date(now.getTime() + DAY_MS);
}

/** Runs one report and queues the next; a Shopify error other than a refusal is retried by the queue. */
export async function runMarketingReport(
  deps: Pick<CampaignDeps, "sql" | "client" | "messageCounts" | "now" | "queue" | "apiKey">,
  p: z.infer<typeof MarketingReportPayload>,
): Promise<MarketingReportResult> {
  let result: MarketingReportResult;
  try {
    result = await reportMarketingActivity(deps, p);
  } catch (e) {
    if (isAppError(e) && e.code === "NOT_FOUND") return { reported: false, reason: "not_launched" };
    throw e;
  }
  const c = await getCampaign(deps.sql, p.shop, p.campaignId);
  const next = nextReportAt(c, deps.now());
  if (next) await enqueueMarketingReport(deps, p.shop, p.campaignId, next);
  return result;
}

export async function enqueueMarketingReport(deps: Pick<CampaignDeps, "queue">, shop: string, campaignId: string, runAt?: Date) {
  // The daily report is one job per campaign and day (a retried day does not queue a second one); a
  // report after a status change runs now, beside it (both writes are idempotent).
  if (!runAt) return deps.queue.send(MARKETING_REPORT_QUEUE, { shop, campaignId });
  return deps.queue.send(
    MARKETING_REPORT_QUEUE,
    { shop, campaignId },
    { runAt, singletonKey: `${MARKETING_REPORT_QUEUE}:${campaignId}:${runAt.toISOString().slice(0, 10)}` },
  );
}
