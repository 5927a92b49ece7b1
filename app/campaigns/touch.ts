import type { z } from "zod";
import type { Sql } from "../db/sql";
import { evaluateGuardrails, nextTouchDecision, type CampaignStatus, type GuardrailReason } from "../domain/campaigns";
import { AppError } from "../lib/errors";
import type { SendOutcome } from "../messaging/types";
import { shopFacts } from "../shop-settings.server";
import type { CampaignDeps } from "./deps";
import { standardEmail, vipEmail, type ShopInfo } from "./email";
import { exitMember, TOUCH_QUEUE, type TouchPayload } from "./launch";
import { getCampaign, type CampaignRow } from "./store";
import { qualifyingOrder } from "../sync/orders-sql";

/** An order counts when it is real and the customer's: the sync's own definition. */
export const QUALIFYING_ORDER = `${qualifyingOrder("o")} AND o."customerId" IS NOT NULL`;

function domainStatus(c: CampaignRow, now: Date): CampaignStatus {
  if (c.status === "completed" || (c.endsAt && now.getTime() >= c.endsAt.getTime())) return "completed";
  if (c.status === "paused") return "paused";
  if (c.status === "active") return "active";
  return "scheduled";
}

interface TouchRow {
  state: string;
  branch: string;
  dueAt: Date;
  holdout: boolean;
  exitedAt: Date | null;
  exitReason: string | null;
  reactivatedAt: Date | null;
  firstName: string | null;
  emailConsent: string | null;
}

async function setTouch(sql: Sql, p: z.infer<typeof TouchPayload>, state: string, reason: string | null, extra: { messageId?: string; flowFired?: boolean } = {}) {
  await sql.query(
    `UPDATE "CampaignTouch" SET state = $4, reason = $5, "messageId" = coalesce($6, "messageId"), "flowFired" = "flowFired" OR $7, "attemptedAt" = now(), "updatedAt" = now()
     WHERE "campaignId" = $1 AND "customerId" = $2 AND day = $3`,
    [p.campaignId, p.customerId, p.day, state, reason, extra.messageId ?? null, extra.flowFired ?? false],
  );
}

export type TouchResult = { action: "sent" | "skipped" | "exited" | "deferred" | "noop"; reason?: string };

/**
 * One scheduled message to one customer. The exit rules come from the domain; the messenger adds
 * consent, frequency cap and dedupe (the dedupe key makes a retried job after a crash a no-op).
 * After a send the campaign's guardrails are evaluated, and a breach pauses it.
 */
export async function runTouch(deps: CampaignDeps, p: z.infer<typeof TouchPayload>): Promise<TouchResult> {
  const now = deps.now();
  const c = await getCampaign(deps.sql, p.shop, p.campaignId);
  const rows = await deps.sql.query<TouchRow>(
    `SELECT t.state, t.branch, t."dueAt", m.holdout, m."exitedAt", m."exitReason", m."reactivatedAt", cu."firstName", cu."emailConsent"
     FROM "CampaignTouch" t JOIN "CampaignMember" m ON m."campaignId" = t."campaignId" AND m."customerId" = t."customerId"
     LEFT JOIN "Customer" cu ON cu.shop = t.shop AND cu.id = t."customerId"
     WHERE t."campaignId" = $1 AND t."customerId" = $2 AND t.day = $3`,
    [p.campaignId, p.customerId, p.day],
  );
  const t = rows[0];
  if (!t) throw new AppError("NOT_FOUND", `No touch for campaign ${p.campaignId}, customer ${p.customerId}, day ${p.day}`);
  if (t.state !== "scheduled") return { action: "noop", reason: t.state };
  if (t.exitedAt) {
    await setTouch(deps.sql, p, "canceled", t.exitReason ?? "exited");
    return { action: "exited", reason: t.exitReason ?? "exited" };
  }
  // Read the orders themselves as well as the webhook's mark: a webhook can arrive after the touch.
  const ordered =
    !!t.reactivatedAt ||
    (
      await deps.sql.query(
        `SELECT 1 FROM "Order" o WHERE o.shop = $1 AND o."customerId" = $2 AND o."processedAt" >= $3 AND ${QUALIFYING_ORDER} LIMIT 1`,
        [p.shop, p.customerId, c.launchAt!.toISOString()],
      )
    ).length > 0;
  const lastRows = await deps.sql.query<{ at: Date | null }>(
    `SELECT max("attemptedAt") AS at FROM "CampaignTouch" WHERE shop = $1 AND "customerId" = $2 AND state = 'sent' AND NOT ("campaignId" = $3 AND day = $4)`,
    [p.shop, p.customerId, p.campaignId, p.day],
  );
  const decision = nextTouchDecision({
    customerState: { ordered, unsubscribed: t.emailConsent === "UNSUBSCRIBED", inHoldout: t.holdout },
    campaignStatus: domainStatus(c, now),
    lastMessageAt: lastRows[0]?.at ? new Date(lastRows[0].at) : null,
    now,
    dueAt: new Date(t.dueAt),
    settings: c.settings,
  });
  if (decision.action === "exit") {
    await exitMember(deps.sql, p.campaignId, p.customerId, decision.reason, now);
    await setTouch(deps.sql, p, "canceled", decision.reason);
    return { action: "exited", reason: decision.reason };
  }
  if (decision.action === "skip") {
    await setTouch(deps.sql, p, "skipped", decision.reason);
    return { action: "skipped", reason: decision.reason };
  }
  if (decision.action === "defer") {
    await defer(deps, p, decision.until);
    return { action: "deferred", reason: decision.reason };
  }

  const facts = await shopFacts(deps.sql, p.shop);
  const shop: ShopInfo = { ...facts, domain: p.shop };
  const dedupeKey = `campaign:${p.campaignId}:${p.customerId}:day${p.day}`;
  let flowPayload: Record<string, unknown>;
  let outcome: SendOutcome;
  if (t.branch === "VIP") {
    const task = await deps.outreach.taskFor(deps.sql, p.shop, p.campaignId, p.customerId);
    const conciergeName = task?.conciergeName || c.settings.vip.conciergeName;
    const perk = task?.perk || c.settings.vip.perkOverride || "a personal concierge call";
    const mail = vipEmail({ shop, firstName: t.firstName, conciergeName, conciergeRole: task?.conciergeRole ?? c.settings.vip.conciergeRole, perk, day: p.day });
    outcome = await deps.messenger.sendEmail({ shop: p.shop, customerId: p.customerId, kind: "winback_vip", dedupeKey, campaignId: p.campaignId, ...mail });
    flowPayload = { customer_id: p.customerId, campaign_id: p.campaignId, branch: "vip", touch_day: p.day, perk };
  } else {
    const mail = standardEmail({ shop, firstName: t.firstName, settings: c.settings, code: c.discountCode, endsAt: c.discountEndsAt!, day: p.day });
    outcome = await deps.messenger.sendEmail({ shop: p.shop, customerId: p.customerId, kind: "winback_standard", dedupeKey, campaignId: p.campaignId, ...mail });
    flowPayload = {
      customer_id: p.customerId,
      campaign_id: p.campaignId,
      branch: "standard",
      touch_day: p.day,
      discount_code: c.discountCode,
      discount_ends_at: c.discountEndsAt!.toISOString(),
    };
  }

  if (outcome.status === "skipped" && outcome.reason === "unsubscribed") {
    await exitMember(deps.sql, p.campaignId, p.customerId, "unsubscribed", now);
    await setTouch(deps.sql, p, "canceled", "unsubscribed");
    return { action: "exited", reason: "unsubscribed" };
  }
  if (outcome.status === "skipped" && outcome.reason === "frequency_cap") {
    await defer(deps, p, new Date(now.getTime() + c.settings.frequencyCapHours * 3_600_000));
    return { action: "deferred", reason: "frequency_cap" };
  }
  // The Flow trigger goes out even without email consent: the merchant's Flow may text the customer.
  const fired = await deps.flow.fire({ shop: p.shop, handle: "winback-touch", payload: flowPayload, dedupeKey });
  if (outcome.status === "sent") {
    await setTouch(deps.sql, p, "sent", null, { messageId: outcome.messageId, flowFired: !!fired });
    await checkGuardrails(deps, c);
    return { action: "sent" };
  }
  // "duplicate": a previous attempt sent it and died before recording; the message is out.
  if (outcome.reason === "duplicate") {
    await setTouch(deps.sql, p, "sent", "duplicate", { flowFired: !!fired });
    return { action: "sent", reason: "duplicate" };
  }
  await setTouch(deps.sql, p, "skipped", outcome.reason, { flowFired: !!fired });
  return { action: "skipped", reason: outcome.reason };
}

async function defer(deps: CampaignDeps, p: z.infer<typeof TouchPayload>, until: Date) {
  // A fresh singleton key: the running job still holds the touch's own key.
  await deps.queue.send(TOUCH_QUEUE, p, { runAt: until, singletonKey: `campaign.touch:${p.campaignId}:${p.customerId}:${p.day}:${until.getTime()}` });
  await deps.sql.query(`UPDATE "CampaignTouch" SET reason = 'deferred', "attemptedAt" = now(), "updatedAt" = now() WHERE "campaignId" = $1 AND "customerId" = $2 AND day = $3`, [
    p.campaignId,
    p.customerId,
    p.day,
  ]);
}

export function describeGuardrail(reasons: GuardrailReason[]): string {
  return reasons
    .map((r) => `${r.metric === "unsubscribe_rate" ? "Unsubscribe rate" : "Complaint rate"} ${(r.rate * 100).toFixed(2)}% is above the ${(r.limit * 100).toFixed(2)}% limit`)
    .join("; ");
}

/** Pauses an active campaign whose unsubscribe or complaint rate broke its limit; returns whether it did. */
export async function checkGuardrails(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: CampaignRow): Promise<boolean> {
  const counts = await deps.messageCounts(deps.sql, c.id);
  const g = evaluateGuardrails({ deliveries: counts.delivered, unsubscribes: counts.unsubscribed, complaints: counts.complaints }, c.settings);
  if (g.status !== "pause") return false;
  const rows = await deps.sql.query(
    `UPDATE "Campaign" SET status = 'paused', "pausedReason" = $2, "pausedAt" = $3, guardrail = $4::jsonb, "updatedAt" = now() WHERE id = $1 AND status = 'active' RETURNING id`,
    [c.id, `Paused automatically: ${describeGuardrail(g.reasons)} after ${counts.delivered} deliveries.`, deps.now().toISOString(), JSON.stringify({ ...g, counts })],
  );
  return rows.length > 0;
}

export async function setPaused(sql: Sql, shop: string, campaignId: string, paused: boolean, now: Date): Promise<void> {
  const c = await getCampaign(sql, shop, campaignId);
  if (paused) {
    if (c.status !== "active") throw new AppError("CONFLICT", `Only an active campaign can be paused (this one is ${c.status})`);
    await sql.query(`UPDATE "Campaign" SET status = 'paused', "pausedReason" = 'Paused by the merchant.', "pausedAt" = $2, "updatedAt" = now() WHERE id = $1 AND status = 'active'`, [
      campaignId,
      now.toISOString(),
    ]);
  } else {
    if (c.status !== "paused") throw new AppError("CONFLICT", `Only a paused campaign can be resumed (this one is ${c.status})`);
    await sql.query(`UPDATE "Campaign" SET status = 'active', "pausedReason" = NULL, "pausedAt" = NULL, "updatedAt" = now() WHERE id = $1 AND status = 'paused'`, [campaignId]);
  }
}

/** At the end of the window: no more touches; what is still scheduled is canceled. */
export async function completeCampaign(sql: Sql, shop: string, campaignId: string, now: Date): Promise<void> {
  const c = await getCampaign(sql, shop, campaignId);
  if (c.endsAt && now.getTime() < c.endsAt.getTime()) throw new AppError("CONFLICT", "campaign has not ended yet", { retryable: true, retryAfterMs: c.endsAt.getTime() - now.getTime() });
  await sql.transaction(async (tx) => {
    await tx.query(`UPDATE "Campaign" SET status = 'completed', "updatedAt" = now() WHERE id = $1 AND status IN ('active', 'paused')`, [campaignId]);
    await tx.query(`UPDATE "CampaignTouch" SET state = 'canceled', reason = 'campaign_ended', "updatedAt" = now() WHERE "campaignId" = $1 AND state = 'scheduled'`, [campaignId]);
  });
}

/**
 * orders/create and orders/updated: a member who placed a qualifying order inside the window is
 * reactivated; a treated one also leaves the sequence (no more offers after they came back).
 */
export async function onOrderChanged(deps: Pick<CampaignDeps, "sql" | "now">, event: { shop: string; orderId: string; customerId: string | null }): Promise<number> {
  const orders = await deps.sql.query<{ customerId: string; processedAt: Date }>(
    `SELECT o."customerId"::text AS "customerId", o."processedAt" FROM "Order" o WHERE o.shop = $1 AND o.id = $2 AND ${QUALIFYING_ORDER}`,
    [event.shop, event.orderId],
  );
  const o = orders[0];
  if (!o) return 0;
  const members = await deps.sql.query<{ campaignId: string; holdout: boolean; reactivatedAt: Date | null; exitedAt: Date | null }>(
    `SELECT m."campaignId", m.holdout, m."reactivatedAt", m."exitedAt" FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
     WHERE m.shop = $1 AND m."customerId" = $2 AND c."launchAt" <= $3
       AND $3 < c."launchAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int)`,
    [event.shop, o.customerId, new Date(o.processedAt).toISOString()],
  );
  for (const m of members) {
    await deps.sql.query(
      `UPDATE "CampaignMember" SET "reactivatedAt" = $3, "reactivationOrderId" = $4 WHERE "campaignId" = $1 AND "customerId" = $2 AND ("reactivatedAt" IS NULL OR "reactivatedAt" > $3)`,
      [m.campaignId, o.customerId, new Date(o.processedAt).toISOString(), event.orderId],
    );
    if (!m.holdout && !m.exitedAt) await exitMember(deps.sql, m.campaignId, o.customerId, "ordered", deps.now());
  }
  return members.length;
}

/** After a sync: orders whose webhooks were lost still reactivate members and end their sequences. */
export async function reconcileReactivations(deps: Pick<CampaignDeps, "sql" | "now">, shop: string): Promise<number> {
  const rows = await deps.sql.query<{ campaignId: string; customerId: string; holdout: boolean; exitedAt: Date | null }>(
    `WITH firsts AS (
       SELECT DISTINCT ON (m."campaignId", m."customerId") m."campaignId", m."customerId", o.id AS "orderId", o."processedAt"
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
       JOIN "Order" o ON o.shop = m.shop AND o."customerId" = m."customerId" AND o."processedAt" >= c."launchAt"
         AND o."processedAt" < c."launchAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int) AND ${QUALIFYING_ORDER}
       WHERE m.shop = $1 AND c.status IN ('active', 'paused', 'completed')
       ORDER BY m."campaignId", m."customerId", o."processedAt"
     )
     UPDATE "CampaignMember" m SET "reactivatedAt" = f."processedAt", "reactivationOrderId" = f."orderId"
     FROM firsts f WHERE m."campaignId" = f."campaignId" AND m."customerId" = f."customerId"
       AND (m."reactivatedAt" IS NULL OR m."reactivatedAt" > f."processedAt")
     RETURNING m."campaignId", m."customerId"::text AS "customerId", m.holdout, m."exitedAt"`,
    [shop],
  );
  for (const r of rows) if (!r.holdout && !r.exitedAt) await exitMember(deps.sql, r.campaignId, r.customerId, "ordered", deps.now());
  return rows.length;
}
