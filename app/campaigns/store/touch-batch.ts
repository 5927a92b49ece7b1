import type { Sql } from "../../db/sql";
import type { TouchRow } from "../store";

/**
 * The touch batch's set-based reads and writes (docs/decisions/095-batched-sends.md): what runTouch
 * reads and writes for one touch (findTouch, lastSentAt, setTouchState), for a chunk of a batch's
 * touches in one statement each. Same tables and meaning as the per-touch functions in ../store.ts.
 */

/** findTouch for many customers of one campaign day, by customer id (absent: no such touch). */
export async function touchesOf(sql: Sql, campaignId: string, day: number, customerIds: string[]): Promise<Map<string, TouchRow>> {
  if (!customerIds.length) return new Map();
  const rows = await sql.query<TouchRow & { customerId: string }>(
    `SELECT t."customerId"::text AS "customerId", t.state, t.branch, t."dueAt", m.holdout, m."exitedAt", m."exitReason", m."reactivatedAt",
            m."assignedAt", t.batch, m.arm, m."offerVersion"
     FROM "CampaignTouch" t JOIN "CampaignMember" m ON m."campaignId" = t."campaignId" AND m."customerId" = t."customerId"
     WHERE t."campaignId" = $1 AND t.day = $2 AND t."customerId" = ANY($3::bigint[])`,
    [campaignId, day, customerIds],
  );
  return new Map(rows.map(({ customerId, ...t }) => [customerId, t as TouchRow]));
}

/** lastSentAt for many customers: when each last got a campaign message other than this campaign's day. */
export async function lastSentAtOf(
  sql: Sql,
  shop: string,
  customerIds: string[],
  except: { campaignId: string; day: number },
): Promise<Map<string, Date>> {
  if (!customerIds.length) return new Map();
  const rows = await sql.query<{ customerId: string; at: Date }>(
    `SELECT "customerId"::text AS "customerId", max("attemptedAt") AS at FROM "CampaignTouch"
     WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) AND state = 'sent' AND NOT ("campaignId" = $3 AND day = $4)
     GROUP BY "customerId"`,
    [shop, customerIds, except.campaignId, except.day],
  );
  return new Map(rows.map((r) => [r.customerId, new Date(r.at)]));
}

export interface TouchOutcomeRow {
  customerId: string;
  state: string;
  reason: string | null;
  messageId: string | null;
  flowFired: boolean;
  /** main | no_click when the step branches on clicks (ADR 101); null leaves the column as it is. */
  variant?: string | null;
}

/** setTouchState for many touches of one campaign day in one statement. */
export async function setTouchStates(sql: Sql, campaignId: string, day: number, rows: TouchOutcomeRow[]): Promise<void> {
  if (!rows.length) return;
  await sql.query(
    `UPDATE "CampaignTouch" t SET state = u.state, reason = u.reason, "messageId" = coalesce(u.mid, t."messageId"),
       "flowFired" = t."flowFired" OR u.fired, variant = coalesce(u.variant, t.variant), "attemptedAt" = now(), "updatedAt" = now()
     FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[]) AS u(cid, state, reason, mid, fired, variant)
     WHERE t."campaignId" = $1 AND t.day = $2 AND t."customerId" = u.cid`,
    [
      campaignId,
      day,
      rows.map((r) => r.customerId),
      rows.map((r) => r.state),
      rows.map((r) => r.reason),
      rows.map((r) => r.messageId),
      rows.map((r) => r.flowFired),
      rows.map((r) => r.variant ?? null),
    ],
  );
}

export interface StepVariantCount {
  day: number;
  variant: string;
  /** emailed (or Flow-only) and recorded as sent */
  sent: number;
  /** of those, the Flow trigger instead of an email */
  flowOnly: number;
}

/** Touches per step and variant of a campaign, for the steps that branch on clicks (ADR 101). */
export async function touchVariantCounts(sql: Sql, campaignId: string): Promise<StepVariantCount[]> {
  return sql.query<StepVariantCount>(
    `SELECT day, variant, count(*) FILTER (WHERE state = 'sent')::int AS sent,
            count(*) FILTER (WHERE state = 'sent' AND reason = 'flow_only')::int AS "flowOnly"
       FROM "CampaignTouch" WHERE "campaignId" = $1 AND variant IS NOT NULL GROUP BY day, variant ORDER BY day, variant`,
    [campaignId],
  );
}
