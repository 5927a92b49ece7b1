import { z } from "zod";
import type { Sql } from "../db/sql";
import { parseCampaignSettings, type CampaignSettings } from "../domain/campaigns";
import { AppError, isAppError } from "../lib/errors";

export type CampaignRowStatus = "draft" | "launching" | "active" | "paused" | "completed";

export const LAUNCH_STEPS = ["members", "tags", "segment", "discount", "outreach", "touches"] as const;
export type LaunchStep = (typeof LAUNCH_STEPS)[number];

export const LaunchStepsSchema = z
  .object({
    members: z.object({ doneAt: z.string(), treated: z.number(), holdout: z.number(), vip: z.number(), standard: z.number() }).partial(),
    tags: z
      .object({
        doneAt: z.string(),
        mode: z.enum(["calls", "bulk"]),
        tagged: z.number(),
        bulkOperationId: z.string(),
        failed: z.array(z.object({ customerId: z.string(), message: z.string() })),
      })
      .partial(),
    segment: z.object({ doneAt: z.string(), segmentId: z.string(), adopted: z.boolean() }).partial(),
    discount: z.object({ doneAt: z.string(), discountId: z.string(), adopted: z.boolean() }).partial(),
    outreach: z.object({ doneAt: z.string(), tasks: z.number() }).partial(),
    touches: z.object({ doneAt: z.string(), scheduled: z.number(), enqueued: z.number() }).partial(),
  })
  .partial();
export type LaunchSteps = z.infer<typeof LaunchStepsSchema>;

export interface CampaignRow {
  id: string;
  shop: string;
  name: string;
  status: CampaignRowStatus;
  settings: CampaignSettings;
  launchAt: Date | null;
  endsAt: Date | null;
  tag: string;
  segmentId: string | null;
  discountId: string | null;
  discountCode: string;
  discountEndsAt: Date | null;
  launchSteps: LaunchSteps;
  launchError: string | null;
  launchErrorDetails: unknown;
  pausedReason: string | null;
  pausedAt: Date | null;
  guardrail: unknown;
  createdAt: Date;
  updatedAt: Date;
}

type RawRow = Omit<CampaignRow, "settings" | "launchSteps"> & { settings: unknown; launchSteps: unknown };

/**
 * Stored settings of a campaign. The escalation owner became stricter (exactly one address when it
 * holds an @, issue 16); a campaign saved before that with a list there still loads, with no owner
 * (escalations then go to "the shop owner" on the page, and nobody is mailed), instead of failing
 * its page and its jobs. Any other problem still fails loudly.
 */
export function storedCampaignSettings(raw: unknown): CampaignSettings {
  try {
    return parseCampaignSettings(raw);
  } catch (e) {
    const issues = (isAppError(e, "INVALID_INPUT") ? (e.details as Array<{ path: PropertyKey[] }> | undefined) : undefined) ?? [];
    const ownerOnly = issues.length > 0 && issues.every((i) => i.path.join(".") === "vip.owner");
    if (!ownerOnly || !raw || typeof raw !== "object") throw e;
    const r = raw as { vip?: Record<string, unknown> };
    return parseCampaignSettings({ ...r, vip: { ...(r.vip ?? {}), owner: "" } });
  }
}

function toRow(r: RawRow): CampaignRow {
  return { ...r, settings: storedCampaignSettings(r.settings), launchSteps: LaunchStepsSchema.parse(r.launchSteps ?? {}) };
}

export async function findCampaign(sql: Sql, shop: string, id: string): Promise<CampaignRow | null> {
  const rows = await sql.query<RawRow>(`SELECT * FROM "Campaign" WHERE shop = $1 AND id = $2`, [shop, id]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function getCampaign(sql: Sql, shop: string, id: string): Promise<CampaignRow> {
  const c = await findCampaign(sql, shop, id);
  if (!c) throw new AppError("NOT_FOUND", `Campaign ${id} not found`);
  return c;
}

export async function listCampaigns(sql: Sql, shop: string): Promise<CampaignRow[]> {
  const rows = await sql.query<RawRow>(`SELECT * FROM "Campaign" WHERE shop = $1 ORDER BY "createdAt" DESC, id`, [shop]);
  return rows.map(toRow);
}

/** Merges one step's record into the step log (jsonb_set: concurrent writers of other steps are kept). */
export async function recordStep(sql: Sql, id: string, step: LaunchStep, value: Record<string, unknown>): Promise<void> {
  await sql.query(
    `UPDATE "Campaign" SET "launchSteps" = jsonb_set("launchSteps", ARRAY[$2::text], coalesce("launchSteps" -> $2, '{}'::jsonb) || $3::jsonb, true), "updatedAt" = now() WHERE id = $1`,
    [id, step, JSON.stringify(value)],
  );
}

export function stepsDone(steps: LaunchSteps): number {
  return LAUNCH_STEPS.filter((s) => !!steps[s]?.doneAt).length;
}
