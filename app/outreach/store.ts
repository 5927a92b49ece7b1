import { defaultCampaignSettings, type CampaignSettings, type PerkKind, type VipTask, type VipTaskEvent, type VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";

export const VIP_STATUSES: readonly VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due", "responded", "won_back", "escalated"];
/** Statuses in which nobody has heard back yet: the escalation job looks at these. */
export const AWAITING_RESPONSE: readonly VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due"];

/** One OutreachTask row as raw SQL returns it (bigint ids as exact strings). */
export interface OutreachTaskRow {
  id: string;
  shop: string;
  campaignId: string;
  customerId: string;
  launchAt: Date;
  conciergeName: string;
  conciergeRole: string;
  owner: string;
  followUpDays: number;
  graceDays: number;
  perkKind: PerkKind;
  perkText: string;
  perkDetails: PerkDetails;
  script: string;
  status: VipTaskStatus;
  dueAt: Date;
  followUpAt: Date | null;
  contactedAt: Date | null;
  respondedAt: Date | null;
  escalatedAt: Date | null;
  escalatedTo: string | null;
  wonBackAt: Date | null;
  wonBackOrderId: string | null;
  history: Array<{ from: VipTaskStatus; to: VipTaskStatus; at: string; note?: string }>;
  createdAt: Date;
  updatedAt: Date;
}

export interface PerkDetails {
  productIds?: string[];
  orders?: number;
  /** the next best suggestions, so the agent can offer another if the first does not land */
  alternatives?: Array<{ kind: PerkKind; text: string }>;
}

export const TASK_COLUMNS = `t.id, t.shop, t."campaignId", t."customerId"::text AS "customerId", t."launchAt", t."conciergeName", t."conciergeRole", t.owner,
  t."followUpDays", t."graceDays", t."perkKind", t."perkText", t."perkDetails", t.script, t.status, t."dueAt", t."followUpAt", t."contactedAt",
  t."respondedAt", t."escalatedAt", t."escalatedTo", t."wonBackAt", t."wonBackOrderId"::text AS "wonBackOrderId", t.history, t."createdAt", t."updatedAt"`;

/** The campaign settings a task was created under (snapshot), in the shape the domain functions take. */
export function vipSettingsOf(row: Pick<OutreachTaskRow, "followUpDays" | "graceDays" | "owner">): Pick<CampaignSettings, "vip"> {
  const base = defaultCampaignSettings().vip;
  return { vip: { ...base, followUpDays: row.followUpDays, graceDays: row.graceDays, owner: row.owner } };
}

/**
 * The domain's view of a stored task. The domain counts the unanswered period of a task nobody
 * contacted from its creation; for us that is the launch (the planned contact day), not the moment
 * a retried launch happened to insert the row.
 */
export function toVipTask(row: OutreachTaskRow): VipTask {
  return {
    id: row.id,
    campaignId: row.campaignId,
    customerId: row.customerId,
    status: row.status,
    createdAt: row.launchAt,
    contactedAt: row.contactedAt,
    // Before contact the stored follow-up date is only the plan; the domain derives it from contact.
    followUpAt: row.status === "to_contact" ? null : row.followUpAt,
    escalatedTo: row.escalatedTo,
    wonBackOrderId: row.wonBackOrderId,
    history: row.history.map((e) => ({ ...e, at: new Date(e.at) })),
  };
}

/** Writes the domain's new state of a task; the timestamps come from the events the domain appended. */
export async function persistTransition(sql: Sql, row: OutreachTaskRow, next: VipTask, now: Date): Promise<void> {
  const added: VipTaskEvent[] = next.history.slice(row.history.length);
  const at = (to: VipTaskStatus) => [...added].reverse().find((e) => e.to === to)?.at ?? null;
  const rows = await sql.query(
    `UPDATE "OutreachTask" SET status = $3, "contactedAt" = coalesce($4, "contactedAt"), "followUpAt" = coalesce($5, "followUpAt"),
        "respondedAt" = coalesce($6, "respondedAt"), "escalatedAt" = coalesce($7, "escalatedAt"), "escalatedTo" = $8,
        "wonBackAt" = coalesce($9, "wonBackAt"), "wonBackOrderId" = $10::bigint, history = $11::jsonb, "updatedAt" = $12
      WHERE id = $1 AND status = $2 RETURNING id`,
    [
      row.id,
      row.status,
      next.status,
      at("contacted"),
      next.status === "to_contact" ? null : next.followUpAt,
      at("responded"),
      at("escalated"),
      next.escalatedTo,
      at("won_back"),
      next.wonBackOrderId,
      JSON.stringify(next.history),
      now,
    ],
  );
  // The row was read FOR UPDATE in the same transaction, so this only fires on a programming error.
  if (!rows.length) throw new AppError("CONFLICT", `Outreach task ${row.id} changed while it was being updated`);
}

export async function lockTask(tx: Sql, shop: string, taskId: string): Promise<OutreachTaskRow> {
  const rows = await tx.query<OutreachTaskRow>(`SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t.id = $2 FOR UPDATE`, [shop, taskId]);
  if (!rows[0]) throw new AppError("NOT_FOUND", `No outreach task ${taskId}`);
  return rows[0];
}
