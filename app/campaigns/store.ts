import { z } from "zod";
import { copyText, type Sql } from "../db/sql";
import { parseCampaignSettings, type CampaignSettings } from "../domain/campaigns";
import { AppError, isAppError } from "../lib/errors";
import { parseProgramSettings, type ProgramBranch, type ProgramSettings } from "../domain/campaigns/program";
import { parseExperiment, type ArmKey, type Experiment } from "../domain/campaigns/experiment";
import { parseOfferVersions, type OfferVersion } from "../domain/campaigns/offer-versions";

export type CampaignRowStatus = "draft" | "launching" | "active" | "paused" | "completed" | "stopped";

export const LAUNCH_STEPS = ["members", "tags", "segment", "discount", "outreach", "touches"] as const;
export type LaunchStep = (typeof LAUNCH_STEPS)[number];

export const LaunchStepsSchema = z
  .object({
    members: z
      .object({
        doneAt: z.string(),
        treated: z.number(),
        holdout: z.number(),
        vip: z.number(),
        standard: z.number(),
        /** targets left out because another campaign or program holds them, per reason (ADR 077) */
        excluded: z.object({ active_sequence: z.number(), open_holdout: z.number() }),
        /** how the Standard targets were chosen (ADR 100): ordering used, asked for, why it fell back, how many of how many */
        targeting: z.object({
          by: z.enum(["risk", "profit"]),
          requested: z.enum(["risk", "profit"]),
          fallbackReason: z.string().nullable(),
          candidates: z.number(),
          chosen: z.number(),
        }),
      })
      .partial(),
    tags: z
      .object({
        doneAt: z.string(),
        mode: z.enum(["calls", "bulk"]),
        tagged: z.number(),
        bulkOperationId: z.string(),
        failed: z.array(z.object({ customerId: z.string(), message: z.string() })),
      })
      .partial(),
    /** arms: an experiment's segment per offer arm with a code (arm → segment id; ADR 099) */
    segment: z
      .object({ doneAt: z.string(), segmentId: z.string(), adopted: z.boolean(), arms: z.record(z.string(), z.string()) })
      .partial(),
    /** arms: an experiment's discount per offer arm with a code (arm → discount node id; ADR 099); noCode: a program whose own offer is a perk (ADR 104) */
    discount: z
      .object({
        doneAt: z.string(),
        discountId: z.string(),
        adopted: z.boolean(),
        arms: z.record(z.string(), z.string()),
        noCode: z.boolean(),
      })
      .partial(),
    outreach: z.object({ doneAt: z.string(), tasks: z.number() }).partial(),
    /** enqueued: jobs sent (one per batch since ADR 084); batches: how many batches the touches form */
    touches: z.object({ doneAt: z.string(), scheduled: z.number(), enqueued: z.number(), batches: z.number() }).partial(),
    /** the last report to Shopify's Marketing reports (ADR 092): not a launch step, kept beside them */
    marketing: z.object({ at: z.string(), activityId: z.string(), occurredOn: z.string(), error: z.string().nullable() }).partial(),
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
  stoppedAt: Date | null;
  guardrail: unknown;
  /** campaign (one-off) or program (always on: members join daily with their own assignedAt; ADR 078) */
  kind: "campaign" | "program";
  /** offer arms of the treated Standard members; null: one offer for all (ADR 099) */
  experiment: Experiment | null;
  /** a program's promoted offers (ADR 104); [] for campaigns and programs never promoted into */
  offerVersions: OfferVersion[];
  /** when the measurement totals were last recomputed from the orders (ADR 105); null: never */
  totalsCheckedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

type RawRow = Omit<CampaignRow, "settings" | "launchSteps" | "experiment" | "offerVersions"> & {
  settings: unknown;
  launchSteps: unknown;
  experiment?: unknown;
  offerVersions?: unknown;
};

/*
 * The campaigns feature's store: the only module that reads or writes Campaign, CampaignMember and
 * CampaignTouch. Other features' tables are read through their stores (sync: orders and customers;
 * analysis: targets).
 */

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
  return {
    ...r,
    settings: storedCampaignSettings(r.settings),
    launchSteps: LaunchStepsSchema.parse(r.launchSteps ?? {}),
    experiment: r.experiment == null ? null : parseExperiment(r.experiment),
    offerVersions: parseOfferVersions(r.offerVersions),
  };
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

/** Keeps the outcome of the last marketing report (ADR 092) with the campaign; an error stays until a report succeeds. */
export async function recordMarketingReport(
  sql: Sql,
  id: string,
  r: { at: Date; activityId?: string; occurredOn?: string; error: string | null },
): Promise<void> {
  const value = {
    at: r.at.toISOString(),
    error: r.error,
    ...(r.activityId ? { activityId: r.activityId } : {}),
    ...(r.occurredOn ? { occurredOn: r.occurredOn } : {}),
  };
  await sql.query(
    `UPDATE "Campaign" SET "launchSteps" = jsonb_set("launchSteps", '{marketing}', coalesce("launchSteps" -> 'marketing', '{}'::jsonb) || $2::jsonb, true) WHERE id = $1`,
    [id, JSON.stringify(value)],
  );
}

export function stepsDone(steps: LaunchSteps): number {
  return LAUNCH_STEPS.filter((s) => !!steps[s]?.doneAt).length;
}

/* ---- Campaign rows ---- */

export async function campaignShopOf(sql: Sql, id: string): Promise<string | null> {
  const rows = await sql.query<{ shop: string }>(`SELECT shop FROM "Campaign" WHERE id = $1`, [id]);
  return rows[0]?.shop ?? null;
}

/** Inserts a launching campaign; false when the id already exists (a resubmitted form). */
export async function insertLaunchingCampaign(
  sql: Sql,
  c: {
    id: string;
    shop: string;
    name: string;
    settings: CampaignSettings;
    launchAt: Date;
    endsAt: Date;
    tag: string;
    discountCode: string;
    discountEndsAt: Date;
    experiment?: Experiment | null;
  },
): Promise<boolean> {
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, "launchAt", "endsAt", tag, "discountCode", "discountEndsAt", experiment, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'launching', $4::jsonb, $5, $6, $7, $8, $9, $10::jsonb, $5, $5)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      c.id,
      c.shop,
      c.name,
      JSON.stringify(c.settings),
      c.launchAt.toISOString(),
      c.endsAt.toISOString(),
      c.tag,
      c.discountCode,
      c.discountEndsAt.toISOString(),
      c.experiment ? JSON.stringify(c.experiment) : null,
    ],
  );
  return inserted.length > 0;
}

export async function clearLaunchError(sql: Sql, id: string): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET "launchError" = NULL, "launchErrorDetails" = NULL, "updatedAt" = now() WHERE id = $1`, [id]);
}

export async function recordLaunchError(sql: Sql, id: string, message: string, details: unknown): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET "launchError" = $2, "launchErrorDetails" = $3::jsonb, "updatedAt" = now() WHERE id = $1`, [
    id,
    message,
    JSON.stringify(details),
  ]);
}

/** launching → active, once every step is done. */
export async function markLaunched(sql: Sql, id: string): Promise<void> {
  await sql.query(
    `UPDATE "Campaign" SET status = 'active', "launchError" = NULL, "launchErrorDetails" = NULL, "updatedAt" = now() WHERE id = $1 AND status = 'launching'`,
    [id],
  );
}

/** Forgets a failed bulk tagging operation so the retry starts another. */
export async function forgetBulkTagOperation(sql: Sql, id: string): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET "launchSteps" = "launchSteps" #- '{tags,bulkOperationId}' WHERE id = $1`, [id]);
}

export async function setCampaignSegment(sql: Sql, id: string, segmentId: string): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET "segmentId" = $2, "updatedAt" = now() WHERE id = $1`, [id, segmentId]);
}

export async function setCampaignDiscount(sql: Sql, id: string, discountId: string): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET "discountId" = $2, "updatedAt" = now() WHERE id = $1`, [id, discountId]);
}

/** active → paused with the reason shown on the page; false when it was not active. */
export async function pauseCampaignRow(sql: Sql, id: string, reason: string, at: Date, guardrail?: unknown): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET status = 'paused', "pausedReason" = $2, "pausedAt" = $3, guardrail = coalesce($4::jsonb, guardrail), "updatedAt" = now()
     WHERE id = $1 AND status = 'active' RETURNING id`,
    [id, reason, at.toISOString(), guardrail === undefined ? null : JSON.stringify(guardrail)],
  );
  return rows.length > 0;
}

/** paused → active; false when it was not paused. */
export async function resumeCampaignRow(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET status = 'active', "pausedReason" = NULL, "pausedAt" = NULL, "updatedAt" = now() WHERE id = $1 AND status = 'paused' RETURNING id`,
    [id],
  );
  return rows.length > 0;
}

/** The end of the window: the campaign completes and what is still scheduled or held is canceled. */
export async function completeCampaignRows(sql: Sql, id: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`UPDATE "Campaign" SET status = 'completed', "updatedAt" = now() WHERE id = $1 AND status IN ('active', 'paused')`, [
      id,
    ]);
    await tx.query(
      `UPDATE "CampaignTouch" SET state = 'canceled', reason = 'campaign_ended', "updatedAt" = now() WHERE "campaignId" = $1 AND state IN ('scheduled', 'held')`,
      [id],
    );
  });
}

/**
 * Stopped for good by the merchant: the campaign ends now, what is scheduled or held is canceled,
 * and treated members still in the sequence exit. False when it was not active, paused or a failed launch.
 */
export async function stopCampaignRows(sql: Sql, id: string, at: Date): Promise<boolean> {
  return sql.transaction(async (tx) => {
    const rows = await tx.query(
      `UPDATE "Campaign" SET status = 'stopped', "stoppedAt" = $2, "pausedReason" = NULL, "updatedAt" = now() WHERE id = $1 AND (status IN ('active', 'paused') OR (status = 'launching' AND "launchError" IS NOT NULL)) RETURNING id`,
      [id, at.toISOString()],
    );
    if (!rows.length) return false;
    await tx.query(
      `UPDATE "CampaignTouch" SET state = 'canceled', reason = 'campaign_stopped', "updatedAt" = now() WHERE "campaignId" = $1 AND state IN ('scheduled', 'held')`,
      [id],
    );
    await tx.query(
      `UPDATE "CampaignMember" SET "exitedAt" = $2, "exitReason" = 'campaign_stopped' WHERE "campaignId" = $1 AND NOT holdout AND "exitedAt" IS NULL`,
      [id, at.toISOString()],
    );
    return true;
  });
}

/** Held touches (fell due while paused) become scheduled again; returns them, earliest first, for their jobs. */
export async function releaseHeldTouches(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ customerId: string; day: number; dueAt: Date; batch: number | null }>> {
  return sql
    .query(
      `UPDATE "CampaignTouch" SET state = 'scheduled', reason = 'resumed', "jobId" = NULL, "notBefore" = NULL, "updatedAt" = now() WHERE "campaignId" = $1 AND state = 'held'
     RETURNING "customerId"::text AS "customerId", day, "dueAt", batch`,
      [campaignId],
    )
    .then((rows) =>
      (rows as Array<{ customerId: string; day: number; dueAt: Date; batch: number | null }>).sort(
        (a, b) => new Date(a.dueAt).getTime() - new Date(b.dueAt).getTime() || a.customerId.localeCompare(b.customerId),
      ),
    );
}

export async function countHeldTouches(sql: Sql, campaignId: string): Promise<number> {
  return (
    await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND state = 'held'`, [
      campaignId,
    ])
  )[0]!.n;
}

/* ---- Members ---- */

export interface NewMember {
  customerId: string;
  branch: string;
  holdout: boolean;
  /** a holdout member is kept out of every other campaign until then (its measurement window) */
  holdoutUntil: Date | null;
  /** the offer arm of a treated Standard member of an experiment (ADR 099) */
  arm?: ArmKey | null;
  /** the analysis's churn risk when the member was assigned (ADR 100), written with the row */
  churnRisk?: number | null;
}

/**
 * Fresh planner statistics for the campaign tables after a launch wrote hundreds of thousands of
 * rows: planned with the empty table's statistics, the next statements of the launch (touches
 * joined to members) chose nested loops and ran for minutes at 400,000 members.
 */
export async function analyzeCampaignTables(sql: Sql): Promise<void> {
  await sql.query(`ANALYZE "CampaignMember"`);
  await sql.query(`ANALYZE "CampaignTouch"`);
}

/**
 * Inserts members (existing ones are kept) and returns the campaign's counts. The rows go by COPY
 * into a temporary table that lives until the end of the caller's transaction, then one
 * INSERT … SELECT … ON CONFLICT DO NOTHING: 400,000 members are one COPY stream and one set-based
 * statement, with no 400,000-element array parameters to build and parse (ADR 094).
 */
export async function insertMembers(
  sql: Sql,
  campaignId: string,
  shop: string,
  assignedAt: Date,
  members: NewMember[],
): Promise<{ treated: number; holdout: number; vip: number; standard: number }> {
  // Its own transaction unless the caller's (the temporary table lives until the end of it).
  await sql.transaction(async (tx) => {
    const stage = "CampaignMemberStage";
    await tx.exec(
      `CREATE TEMP TABLE IF NOT EXISTS "${stage}" ("customerId" bigint, branch text, holdout boolean, "holdoutUntil" timestamp(3), arm text, risk float8) ON COMMIT DROP`,
    );
    const COPY_ROWS = 50_000;
    for (let i = 0; i < members.length; i += COPY_ROWS) {
      let text = "";
      for (const m of members.slice(i, i + COPY_ROWS)) {
        if (!/^\d+$/.test(m.customerId))
          throw new AppError("INVALID_INPUT", `member customer id ${m.customerId.slice(0, 40)} is not a number`);
        text += `${m.customerId}\t${copyText(m.branch)}\t${m.holdout ? "t" : "f"}\t${m.holdoutUntil ? m.holdoutUntil.toISOString() : "\\N"}\t${
          m.arm ? copyText(m.arm) : "\\N"
        }\t${m.churnRisk ?? "\\N"}\n`;
      }
      await tx.copyFrom(stage, ["customerId", "branch", "holdout", "holdoutUntil", "arm", "risk"], text);
    }
    await tx.query(
      `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt", "holdoutUntil", arm, "churnRiskAtAssignment")
       SELECT $1, "customerId", $2, branch, holdout, $3, "holdoutUntil", arm, risk FROM "${stage}"
       ON CONFLICT DO NOTHING`,
      [campaignId, shop, assignedAt.toISOString()],
    );
    await tx.exec(`DROP TABLE "${stage}"`);
  });
  return (
    await sql.query<{ treated: number; holdout: number; vip: number; standard: number }>(
      `SELECT count(*) FILTER (WHERE NOT holdout)::int AS treated, count(*) FILTER (WHERE holdout)::int AS holdout,
              count(*) FILTER (WHERE branch = 'VIP')::int AS vip, count(*) FILTER (WHERE branch = 'Standard')::int AS standard
       FROM "CampaignMember" WHERE "campaignId" = $1`,
      [campaignId],
    )
  )[0]!;
}

export async function countTreated(sql: Sql, campaignId: string): Promise<number> {
  return (
    await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout`, [campaignId])
  )[0]!.n;
}

/** Treated members still in the campaign and not yet tagged, in customer id order. */
export async function untaggedMembers(sql: Sql, campaignId: string): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL ORDER BY "customerId"`,
    [campaignId],
  );
  return rows.map((r) => r.id);
}

/** The same members with their branch, experiment arm and program offer (the tag depends on them). */
export async function untaggedMemberBranches(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ id: string; branch: string; arm: ArmKey | null; offerVersion: number | null }>> {
  return sql.query(
    `SELECT "customerId"::text AS id, branch, arm, "offerVersion" FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL ORDER BY "customerId"`,
    [campaignId],
  );
}

/** The next `limit` untagged members after customer `after` (keyset, customer id order): the bulk upload reads them in batches. */
export async function untaggedMemberPage(
  sql: Sql,
  campaignId: string,
  after: string | null,
  limit: number,
): Promise<Array<{ id: string; branch: string; arm: ArmKey | null }>> {
  return sql.query(
    `SELECT "customerId"::text AS id, branch, arm FROM "CampaignMember"
      WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL AND ($2::bigint IS NULL OR "customerId" > $2::bigint)
      ORDER BY "customerId" LIMIT $3`,
    [campaignId, after, limit],
  );
}

export async function countUntagged(sql: Sql, campaignId: string): Promise<number> {
  return (
    await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL`,
      [campaignId],
    )
  )[0]!.n;
}

/** The untagged members at these 0-based positions of the customer id order (the lines of a bulk upload). */
export async function untaggedMembersAt(sql: Sql, campaignId: string, positions: number[]): Promise<Array<{ line: number; id: string }>> {
  if (!positions.length) return [];
  return sql.query(
    `SELECT line::int AS line, id FROM (
       SELECT "customerId"::text AS id, row_number() OVER (ORDER BY "customerId") - 1 AS line FROM "CampaignMember"
        WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL) x
      WHERE line = ANY($2::bigint[]) ORDER BY line`,
    [campaignId, positions],
  );
}

/** Every treated member still in the campaign and not yet tagged is now tagged: one statement, no id list. */
export async function markUntaggedTagged(sql: Sql, campaignId: string, at: Date): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `WITH u AS (UPDATE "CampaignMember" SET "taggedAt" = $2
                 WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL RETURNING 1)
     SELECT count(*)::int AS n FROM u`,
    [campaignId, at.toISOString()],
  );
  return rows[0]!.n;
}

/** exitMember for many members at once (two statements whatever their number). */
export async function exitMembers(sql: Sql, campaignId: string, customerIds: string[], reason: string, now: Date): Promise<void> {
  if (!customerIds.length) return;
  await sql.query(
    `UPDATE "CampaignMember" SET "exitedAt" = $3, "exitReason" = $4 WHERE "campaignId" = $1 AND "customerId" = ANY($2::bigint[]) AND "exitedAt" IS NULL`,
    [campaignId, customerIds, now.toISOString(), reason],
  );
  await sql.query(
    `UPDATE "CampaignTouch" SET state = 'canceled', reason = $3, "updatedAt" = now() WHERE "campaignId" = $1 AND "customerId" = ANY($2::bigint[]) AND state IN ('scheduled', 'held')`,
    [campaignId, customerIds, reason],
  );
}

export async function taggedCount(sql: Sql, campaignId: string): Promise<number> {
  return (
    await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND "taggedAt" IS NOT NULL`, [
      campaignId,
    ])
  )[0]!.n;
}

export async function markTagged(sql: Sql, campaignId: string, customerIds: string[], at: Date): Promise<void> {
  if (!customerIds.length) return;
  await sql.query(`UPDATE "CampaignMember" SET "taggedAt" = $2 WHERE "campaignId" = $1 AND "customerId" = ANY($3::bigint[])`, [
    campaignId,
    at.toISOString(),
    customerIds,
  ]);
}

/** Treated members of a branch still in the campaign, in customer id order. */
export async function activeTreatedIds(sql: Sql, campaignId: string, branch?: "VIP" | "Standard"): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND ($2::text IS NULL OR branch = $2) AND NOT holdout AND "exitedAt" IS NULL ORDER BY "customerId"`,
    [campaignId, branch ?? null],
  );
  return rows.map((r) => r.id);
}

/** The member leaves: no further touches (scheduled or held ones are canceled with the reason). */
export async function exitMember(sql: Sql, campaignId: string, customerId: string, reason: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE "CampaignMember" SET "exitedAt" = $3, "exitReason" = $4 WHERE "campaignId" = $1 AND "customerId" = $2 AND "exitedAt" IS NULL`,
    [campaignId, customerId, now.toISOString(), reason],
  );
  await sql.query(
    `UPDATE "CampaignTouch" SET state = 'canceled', reason = $3, "updatedAt" = now() WHERE "campaignId" = $1 AND "customerId" = $2 AND state IN ('scheduled', 'held')`,
    [campaignId, customerId, reason],
  );
}

/** Every member of a campaign (for measurement). */
export async function campaignMembers(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ customerId: string; holdout: boolean; branch: "VIP" | "Standard" }>> {
  return sql.query(
    `SELECT "customerId"::text AS "customerId", holdout, branch FROM "CampaignMember" WHERE "campaignId" = $1 ORDER BY "customerId"`,
    [campaignId],
  );
}

/**
 * The campaign's members as a relation the sync's purchase read API joins (purchaseTotalsByGroup):
 * group "<arm>:<branch>", arm treated or holdout. The table is named here, by its owner.
 */
export function memberGroupsRelation(campaignId: string): { text: string; params: unknown[] } {
  return {
    text: `SELECT "customerId", (CASE WHEN holdout THEN 'holdout' ELSE 'treated' END) || ':' || branch AS "group" FROM "CampaignMember" WHERE "campaignId" = $1`,
    params: [campaignId],
  };
}

/**
 * The treated members who got one offer, as a relation for purchaseTotalsByGroup (one group,
 * "offer"): an experiment's arm (its letter), a program's promoted offer version (its number), or
 * the campaign's own offer (""). Each offer's code is counted over its own members (ADR 104).
 */
export function offerMembersRelation(campaignId: string, key: string): { text: string; params: unknown[] } {
  return {
    text: `SELECT "customerId", 'offer' AS "group" FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND coalesce(arm, nullif("offerVersion", 1)::text, '') = $2`,
    params: [campaignId, key],
  };
}

/** Members per arm and branch (one index-only range read of the campaign's members). */
export async function memberGroupCounts(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ holdout: boolean; branch: "VIP" | "Standard"; n: number }>> {
  return sql.query(`SELECT holdout, branch, count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [
    campaignId,
  ]);
}

export async function exitCounts(sql: Sql, campaignId: string): Promise<Array<{ reason: string; n: number }>> {
  return sql.query(
    `SELECT "exitReason" AS reason, count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND "exitedAt" IS NOT NULL GROUP BY "exitReason" ORDER BY 2 DESC, 1`,
    [campaignId],
  );
}

/** Per campaign of a shop: members, and reactivations of treated and of holdout members, kept apart. */
export async function memberCountsByCampaign(
  sql: Sql,
  shop: string,
): Promise<
  Array<{ campaignId: string; members: number; treated: number; holdout: number; treatedReactivated: number; holdoutReactivated: number }>
> {
  return sql.query(
    `SELECT "campaignId", count(*)::int AS members, count(*) FILTER (WHERE NOT holdout)::int AS treated, count(*) FILTER (WHERE holdout)::int AS holdout,
            count("reactivatedAt") FILTER (WHERE NOT holdout)::int AS "treatedReactivated", count("reactivatedAt") FILTER (WHERE holdout)::int AS "holdoutReactivated"
     FROM "CampaignMember" WHERE shop = $1 GROUP BY "campaignId"`,
    [shop],
  );
}

/** Memberships of a customer whose reactivation window contains `at` (from the member's assignedAt: the launch, or a program member's enrolment). */
export async function membershipsWithWindowAt(
  sql: Sql,
  shop: string,
  customerId: string,
  at: Date,
): Promise<Array<{ campaignId: string; holdout: boolean; exitedAt: Date | null }>> {
  return sql.query(
    `SELECT m."campaignId", m.holdout, m."exitedAt" FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
     WHERE m.shop = $1 AND m."customerId" = $2 AND m."assignedAt" <= $3
       AND $3 < m."assignedAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int)`,
    [shop, customerId, at.toISOString()],
  );
}

/** Members of a shop's launched campaigns with their reactivation window (for reconciling with the orders). */
export async function membersWithWindows(
  sql: Sql,
  shop: string,
): Promise<
  Array<{
    campaignId: string;
    customerId: string;
    holdout: boolean;
    exitedAt: Date | null;
    reactivatedAt: Date | null;
    from: Date;
    to: Date;
  }>
> {
  return sql.query(
    `SELECT m."campaignId", m."customerId"::text AS "customerId", m.holdout, m."exitedAt", m."reactivatedAt", m."assignedAt" AS "from",
            m."assignedAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int) AS "to"
     FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
     WHERE m.shop = $1 AND c.status IN ('active', 'paused', 'completed', 'stopped') AND c."launchAt" IS NOT NULL`,
    [shop],
  );
}

/** The Standard members of an experiment campaign: treated ones with their arm, and the shared holdout (ADR 099). */
export async function experimentMembers(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ customerId: string; holdout: boolean; arm: ArmKey | null }>> {
  return sql.query(
    `SELECT "customerId"::text AS "customerId", holdout, arm FROM "CampaignMember" WHERE "campaignId" = $1 AND branch = 'Standard' ORDER BY "customerId"`,
    [campaignId],
  );
}

/** Copies an experiment's winning offer into a program's settings (the merchant's "Promote" action, ADR 099). */
export async function saveProgramSettingsOnly(sql: Sql, shop: string, id: string, settings: CampaignSettings, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET settings = $3::jsonb, "updatedAt" = $4 WHERE shop = $1 AND id = $2 AND kind = 'program' RETURNING 1`,
    [shop, id, JSON.stringify(settings), now.toISOString()],
  );
  return rows.length > 0;
}

/**
 * Adds a program's offer version n, unless one with that number exists (two promotions at once:
 * one wins, the other reads the winner's and continues or refuses). True when it was added.
 */
export async function addOfferVersion(sql: Sql, shop: string, programId: string, v: OfferVersion, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET "offerVersions" = "offerVersions" || jsonb_build_array($3::jsonb), "updatedAt" = $4
      WHERE shop = $1 AND id = $2 AND kind = 'program'
        AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements("offerVersions") x WHERE (x ->> 'n')::int = ($3::jsonb ->> 'n')::int)
      RETURNING 1`,
    [shop, programId, JSON.stringify(v), now.toISOString()],
  );
  return rows.length > 0;
}

/** Replaces the program's offer version v.n with v (each step of a promotion records as soon as it is done). */
export async function saveOfferVersion(sql: Sql, shop: string, programId: string, v: OfferVersion, now: Date): Promise<void> {
  await sql.query(
    `UPDATE "Campaign" SET "offerVersions" =
        (SELECT coalesce(jsonb_agg(x), '[]'::jsonb) FROM jsonb_array_elements("offerVersions") x WHERE (x ->> 'n')::int <> ($3::jsonb ->> 'n')::int)
        || jsonb_build_array($3::jsonb), "updatedAt" = $4
      WHERE shop = $1 AND id = $2 AND kind = 'program'`,
    [shop, programId, JSON.stringify(v), now.toISOString()],
  );
}

/** Records a reactivation unless an earlier one is already recorded; true when it changed the row. */
export async function markReactivated(sql: Sql, campaignId: string, customerId: string, at: Date, orderId: string): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "CampaignMember" SET "reactivatedAt" = $3, "reactivationOrderId" = $4 WHERE "campaignId" = $1 AND "customerId" = $2 AND ("reactivatedAt" IS NULL OR "reactivatedAt" > $3) RETURNING 1`,
    [campaignId, customerId, at.toISOString(), orderId],
  );
  return rows.length > 0;
}

/* ---- Touches ---- */

export interface TouchRow {
  state: string;
  branch: string;
  dueAt: Date;
  holdout: boolean;
  exitedAt: Date | null;
  exitReason: string | null;
  reactivatedAt: Date | null;
  /** the member's enrolment: the launch for a campaign, the day they joined for a program */
  assignedAt: Date;
  /** the touch's batch job (ADR 084); null for a touch written before batching (its own job) */
  batch: number | null;
  /** the member's offer arm in an experiment (its code and subject; ADR 099) */
  arm: ArmKey | null;
  /** the program offer the member joined with (ADR 104); null: the program's own */
  offerVersion: number | null;
}

export async function findTouch(sql: Sql, campaignId: string, customerId: string, day: number): Promise<TouchRow | null> {
  const rows = await sql.query<TouchRow>(
    `SELECT t.state, t.branch, t."dueAt", m.holdout, m."exitedAt", m."exitReason", m."reactivatedAt", m."assignedAt", t.batch, m.arm, m."offerVersion"
     FROM "CampaignTouch" t JOIN "CampaignMember" m ON m."campaignId" = t."campaignId" AND m."customerId" = t."customerId"
     WHERE t."campaignId" = $1 AND t."customerId" = $2 AND t.day = $3`,
    [campaignId, customerId, day],
  );
  return rows[0] ?? null;
}

export interface TouchKey {
  campaignId: string;
  customerId: string;
  day: number;
}

export async function setTouchState(
  sql: Sql,
  k: TouchKey,
  state: string,
  reason: string | null,
  extra: { messageId?: string; flowFired?: boolean; variant?: string | null } = {},
): Promise<void> {
  await sql.query(
    `UPDATE "CampaignTouch" SET state = $4, reason = $5, "messageId" = coalesce($6, "messageId"), "flowFired" = "flowFired" OR $7,
       variant = coalesce($8, variant), "attemptedAt" = now(), "updatedAt" = now()
     WHERE "campaignId" = $1 AND "customerId" = $2 AND day = $3`,
    [k.campaignId, k.customerId, k.day, state, reason, extra.messageId ?? null, extra.flowFired ?? false, extra.variant ?? null],
  );
}

export async function markTouchDeferred(sql: Sql, k: TouchKey, until: Date): Promise<void> {
  await sql.query(
    `UPDATE "CampaignTouch" SET reason = 'deferred', "notBefore" = $4, "attemptedAt" = now(), "updatedAt" = now() WHERE "campaignId" = $1 AND "customerId" = $2 AND day = $3`,
    [k.campaignId, k.customerId, k.day, until.toISOString()],
  );
}

/** When the customer last got a campaign message, other than this touch. */
export async function lastSentAt(sql: Sql, shop: string, customerId: string, except: TouchKey): Promise<Date | null> {
  const rows = await sql.query<{ at: Date | null }>(
    `SELECT max("attemptedAt") AS at FROM "CampaignTouch" WHERE shop = $1 AND "customerId" = $2 AND state = 'sent' AND NOT ("campaignId" = $3 AND day = $4)`,
    [shop, customerId, except.campaignId, except.day],
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

/**
 * How many touches of one day one batch job runs (ADR 084): small enough that a batch finishes well
 * inside a job's lease and a retry repeats little, large enough that 400,000 targets need about a
 * thousand jobs instead of a million.
 */
export const TOUCH_BATCH_SIZE = 1000;

/**
 * One row per (treated, not exited) member of the branch and step: unique per campaign, customer and
 * day. New rows are numbered into batches per day, after the day's existing batches (the other
 * branch's), in customer id order: one set-based statement however many members.
 */
export async function insertTouches(
  sql: Sql,
  campaignId: string,
  branch: "VIP" | "Standard",
  steps: Array<{ day: number; step: number; dueAt: Date }>,
  batchSize = TOUCH_BATCH_SIZE,
): Promise<void> {
  await sql.query(
    // Members are numbered once (in the primary key's order) and every day reuses the number: no sort of the
    // members × days rows. One statement per branch: a resumed launch inserts the whole branch or none of it (conflicts).
    `WITH base AS (SELECT day, max(batch) + 1 AS next FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY day),
          m AS (SELECT "campaignId", "customerId", shop, branch, row_number() OVER (ORDER BY "customerId") - 1 AS rn
                FROM "CampaignMember" WHERE "campaignId" = $1 AND branch = $2 AND NOT holdout AND "exitedAt" IS NULL)
     INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", state, "updatedAt", batch)
     SELECT m."campaignId", m."customerId", s.day, m.shop, s.step, m.branch, s.due, 'scheduled', now(), coalesce(b.next, 0) + m.rn / $6
     FROM m CROSS JOIN unnest($3::int[], $4::int[], $5::timestamp[]) AS s(day, step, due)
     LEFT JOIN base b ON b.day = s.day
     ON CONFLICT DO NOTHING`,
    [campaignId, branch, steps.map((s) => s.day), steps.map((s) => s.step), steps.map((s) => s.dueAt.toISOString()), batchSize],
  );
}

/**
 * The batches that still have a scheduled touch, each with the earliest time one of them may run
 * (its due time, or a deferred touch's notBefore). What a launch, a program's day or a resume
 * enqueues: enqueuing a batch twice is harmless (the job runs only what is still scheduled and due).
 */
export async function pendingTouchBatches(sql: Sql, campaignId: string): Promise<Array<{ day: number; batch: number; runAt: Date }>> {
  const rows = await sql.query<{ day: number; batch: number; runAt: Date }>(
    `SELECT day, batch, min(coalesce("notBefore", "dueAt")) AS "runAt" FROM "CampaignTouch"
     WHERE "campaignId" = $1 AND state = 'scheduled' AND batch IS NOT NULL GROUP BY day, batch ORDER BY 3, 1, 2`,
    [campaignId],
  );
  return rows.map((r) => ({ day: r.day, batch: r.batch, runAt: new Date(r.runAt) }));
}

/** The customers whose touch of this batch is scheduled and may run at `now`, in customer id order. */
export async function dueTouchesOfBatch(sql: Sql, campaignId: string, day: number, batch: number, now: Date): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "CampaignTouch"
     WHERE "campaignId" = $1 AND day = $2 AND batch = $3 AND state = 'scheduled' AND coalesce("notBefore", "dueAt") <= $4
     ORDER BY "customerId"`,
    [campaignId, day, batch, now.toISOString()],
  );
  return rows.map((r) => r.id);
}

/** When the batch's next scheduled touch may run (a deferred or not yet due one), or null when none is left. */
export async function nextRunOfBatch(sql: Sql, campaignId: string, day: number, batch: number): Promise<Date | null> {
  const rows = await sql.query<{ at: Date | null }>(
    `SELECT min(coalesce("notBefore", "dueAt")) AS at FROM "CampaignTouch" WHERE "campaignId" = $1 AND day = $2 AND batch = $3 AND state = 'scheduled'`,
    [campaignId, day, batch],
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

export async function setTouchJobs(
  sql: Sql,
  campaignId: string,
  jobs: Array<{ customerId: string; day: number; jobId: string }>,
): Promise<void> {
  await sql.query(
    `UPDATE "CampaignTouch" t SET "jobId" = u.job FROM unnest($2::bigint[], $3::int[], $4::text[]) AS u(customer, day, job)
     WHERE t."campaignId" = $1 AND t."customerId" = u.customer AND t.day = u.day`,
    [campaignId, jobs.map((j) => j.customerId), jobs.map((j) => j.day), jobs.map((j) => j.jobId)],
  );
}

export async function countTouches(sql: Sql, campaignId: string): Promise<number> {
  return (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1`, [campaignId]))[0]!.n;
}

export async function touchStateCounts(sql: Sql, campaignId: string): Promise<Array<{ state: string; n: number }>> {
  return sql.query(`SELECT state, count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY state`, [campaignId]);
}

/* ---- Integrity across campaigns and programs (ADR 077) ---- */

/**
 * Why a customer cannot be enrolled anywhere now:
 * - `active_sequence`: a treated member who has not exited and still has a touch to come
 *   (scheduled, or held by a pause), or whose campaign is still launching (touches not yet written);
 * - `open_holdout`: a holdout member whose measurement window (holdoutUntil, else assignedAt +
 *   reactivationWindowDays) is still open: messaging them would spoil that campaign's lift.
 */
export type EngagementReason = "active_sequence" | "open_holdout";
export const ENGAGEMENT_REASONS: readonly EngagementReason[] = ["active_sequence", "open_holdout"];

export interface Engagement {
  reason: EngagementReason;
  campaignId: string;
  /** last pending touch, or the end of the holdout's measurement window */
  until: Date | null;
}

/**
 * The customers of a shop who cannot be enrolled now, with the reason (an active sequence wins
 * over an open holdout). Every Campaign row counts the same whatever its kind (one-off campaign or
 * always-on program): membership, touches and holdout windows are per member.
 * `exceptCampaignId` leaves out one campaign's own members (its own launch being resumed).
 */
export async function engagedCustomers(
  sql: Sql,
  shop: string,
  now: Date,
  customerIds?: string[],
  opts: { exceptCampaignId?: string } = {},
): Promise<Map<string, Engagement>> {
  if (customerIds && !customerIds.length) return new Map();
  const rows = await sql.query<{ customerId: string; reason: EngagementReason; campaignId: string; until: Date | null }>(
    `SELECT DISTINCT ON ("customerId") "customerId", reason, "campaignId", until FROM (
       SELECT m."customerId"::text AS "customerId", 'active_sequence' AS reason, 1 AS prio, m."campaignId",
              (SELECT max(t."dueAt") FROM "CampaignTouch" t WHERE t."campaignId" = m."campaignId" AND t."customerId" = m."customerId" AND t.state IN ('scheduled', 'held')) AS until
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
       WHERE m.shop = $1 AND NOT m.holdout AND m."exitedAt" IS NULL AND c.status NOT IN ('completed', 'stopped')
         AND ($3::bigint[] IS NULL OR m."customerId" = ANY($3::bigint[])) AND ($4::text IS NULL OR m."campaignId" <> $4)
         AND (c.status = 'launching'
              OR EXISTS (SELECT 1 FROM "CampaignTouch" t WHERE t."campaignId" = m."campaignId" AND t."customerId" = m."customerId" AND t.state IN ('scheduled', 'held')))
       UNION ALL
       SELECT m."customerId"::text, 'open_holdout', 2, m."campaignId", w.until
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
       CROSS JOIN LATERAL (SELECT coalesce(m."holdoutUntil", m."assignedAt" + make_interval(days => coalesce((c.settings ->> 'reactivationWindowDays')::int, 30))) AS until) w
       WHERE m.shop = $1 AND m.holdout AND w.until > $2::timestamp
         AND ($3::bigint[] IS NULL OR m."customerId" = ANY($3::bigint[])) AND ($4::text IS NULL OR m."campaignId" <> $4)
     ) x ORDER BY "customerId", prio, until DESC NULLS FIRST`,
    [shop, now.toISOString(), customerIds ?? null, opts.exceptCampaignId ?? null],
  );
  return new Map(
    rows.map((r) => [r.customerId, { reason: r.reason, campaignId: r.campaignId, until: r.until ? new Date(r.until) : null }]),
  );
}

/** Per reason, how many of `customerIds` are engaged (zero for reasons nobody has). */
export function countByReason(engaged: Map<string, Engagement>, customerIds: Iterable<string>): Record<EngagementReason, number> {
  const out: Record<EngagementReason, number> = { active_sequence: 0, open_holdout: 0 };
  for (const id of customerIds) {
    const e = engaged.get(id);
    if (e) out[e.reason]++;
  }
  return out;
}

/* ---- Always-on programs (ADR 078) ----
 * Program rows (Campaign rows of kind 'program'), their daily runs (ProgramRun), members joining
 * with their own assignedAt. Everything else about members, touches and tags is above.
 */

export interface ProgramRow extends CampaignRow {
  kind: "program";
  programBranch: ProgramBranch;
  programSettings: ProgramSettings;
}

const isoOf = (d: Date) => d.toISOString();

async function toProgram(sql: Sql, shop: string, id: string): Promise<ProgramRow> {
  const c = await getCampaign(sql, shop, id);
  const extra = (
    await sql.query<{ kind: string; programBranch: ProgramBranch; programSettings: unknown }>(
      `SELECT kind, "programBranch", "programSettings" FROM "Campaign" WHERE id = $1`,
      [id],
    )
  )[0]!;
  return { ...c, kind: "program", programBranch: extra.programBranch, programSettings: parseProgramSettings(extra.programSettings ?? {}) };
}

export async function findProgram(sql: Sql, shop: string, branch: ProgramBranch): Promise<ProgramRow | null> {
  const rows = await sql.query<{ id: string }>(`SELECT id FROM "Campaign" WHERE shop = $1 AND kind = 'program' AND "programBranch" = $2`, [
    shop,
    branch,
  ]);
  return rows[0] ? toProgram(sql, shop, rows[0].id) : null;
}

export async function getProgramById(sql: Sql, shop: string, id: string): Promise<ProgramRow | null> {
  const rows = await sql.query<{ id: string }>(`SELECT id FROM "Campaign" WHERE shop = $1 AND id = $2 AND kind = 'program'`, [shop, id]);
  return rows[0] ? toProgram(sql, shop, rows[0].id) : null;
}

/** Active programs of every shop (the daily job's safety net re-arms their chains). */
export async function activePrograms(sql: Sql): Promise<Array<{ shop: string; id: string }>> {
  return sql.query(`SELECT shop, id FROM "Campaign" WHERE kind = 'program' AND status = 'active' ORDER BY shop, id`);
}

/** The program's row, created as a draft (nothing sent, nothing in Shopify) or its settings updated. */
export async function saveProgramRow(
  sql: Sql,
  p: {
    id: string;
    shop: string;
    branch: ProgramBranch;
    name: string;
    settings: CampaignSettings;
    programSettings: ProgramSettings;
    tag: string;
    discountCode: string;
    now: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", kind, "programBranch", "programSettings", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'draft', $4::jsonb, $5, $6, 'program', $7, $8::jsonb, $9, $9)
     ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, "programSettings" = excluded."programSettings", "updatedAt" = excluded."updatedAt"`,
    [p.id, p.shop, p.name, JSON.stringify(p.settings), p.tag, p.discountCode, p.branch, JSON.stringify(p.programSettings), isoOf(p.now)],
  );
}

/** draft → launching: the launch job creates the segment and the discount; members come daily. */
export async function markProgramLaunching(sql: Sql, id: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET status = 'launching', "launchAt" = $2, "updatedAt" = now() WHERE id = $1 AND kind = 'program' AND status = 'draft' RETURNING id`,
    [id, isoOf(now)],
  );
  return rows.length > 0;
}

/** Guardrail state written on every run (shown on the page even when it did not pause). */
export async function saveProgramGuardrail(sql: Sql, id: string, guardrail: unknown): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET guardrail = $2::jsonb WHERE id = $1`, [id, JSON.stringify(guardrail)]);
}

/* ---- Program membership ---- */

/** Everyone ever enrolled in the program: a program enrols a customer once. */
export async function programMemberIds(sql: Sql, campaignId: string): Promise<Set<string>> {
  const rows = await sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1`, [
    campaignId,
  ]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Touch rows for treated members that have none yet, each due relative to the member's own
 * enrolment: a member who joined today gets Day 0 today, Day 3 in three days. Members enrolled
 * earlier keep the rows they have (a later change of touch days does not reach back).
 */
export async function insertMemberTouches(
  sql: Sql,
  campaignId: string,
  branch: ProgramBranch,
  days: readonly number[],
  batchSize = TOUCH_BATCH_SIZE,
): Promise<number> {
  // Batches as a launch's (ADR 084), numbered after the day's existing ones; ordered by due time so a batch mostly shares one.
  const rows = await sql.query(
    `WITH base AS (SELECT day, max(batch) + 1 AS next FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY day)
     INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", state, "updatedAt", batch)
     SELECT m."campaignId", m."customerId", s.day, m.shop, s.step - 1, m.branch, m."assignedAt" + make_interval(days => s.day), 'scheduled', now(),
            coalesce(b.next, 0) + (row_number() OVER (PARTITION BY s.day ORDER BY m."assignedAt", m."customerId") - 1) / $4
     FROM "CampaignMember" m CROSS JOIN unnest($3::int[]) WITH ORDINALITY AS s(day, step)
     LEFT JOIN base b ON b.day = s.day
     WHERE m."campaignId" = $1 AND m.branch = $2 AND NOT m.holdout AND m."exitedAt" IS NULL
       AND NOT EXISTS (SELECT 1 FROM "CampaignTouch" t WHERE t."campaignId" = m."campaignId" AND t."customerId" = m."customerId")
     ON CONFLICT DO NOTHING RETURNING 1`,
    [campaignId, branch, [...days], batchSize],
  );
  return rows.length;
}

/** Treated VIP members still in the program without an outreach task, grouped by enrolment time. */
export async function treatedMembersAssignedSince(
  sql: Sql,
  campaignId: string,
  since: Date,
): Promise<Array<{ customerId: string; assignedAt: Date }>> {
  const rows = await sql.query<{ customerId: string; assignedAt: Date }>(
    `SELECT "customerId"::text AS "customerId", "assignedAt" FROM "CampaignMember"
     WHERE "campaignId" = $1 AND NOT holdout AND "exitedAt" IS NULL AND "assignedAt" >= $2 ORDER BY "assignedAt", "customerId"`,
    [campaignId, isoOf(since)],
  );
  return rows.map((r) => ({ customerId: r.customerId, assignedAt: new Date(r.assignedAt) }));
}

/* ---- Daily runs ---- */

export interface ProgramRunRow {
  campaignId: string;
  day: string;
  startedAt: Date;
  enrolledAt: Date | null;
  finishedAt: Date | null;
  enrolled: number;
  deferred: number;
  excluded: number;
  noConsent: number;
  error: string | null;
}

const RUN_COLUMNS = `"campaignId", to_char(day, 'YYYY-MM-DD') AS day, "startedAt", "enrolledAt", "finishedAt", enrolled, deferred, excluded, "noConsent", error`;

/** The day's run, started now unless it already exists (a re-run resumes it). */
export async function startRun(sql: Sql, campaignId: string, shop: string, day: string, now: Date): Promise<ProgramRunRow> {
  await sql.query(`INSERT INTO "ProgramRun" ("campaignId", day, shop, "startedAt") VALUES ($1, $2::date, $3, $4) ON CONFLICT DO NOTHING`, [
    campaignId,
    day,
    shop,
    isoOf(now),
  ]);
  return (
    await sql.query<ProgramRunRow>(`SELECT ${RUN_COLUMNS} FROM "ProgramRun" WHERE "campaignId" = $1 AND day = $2::date`, [campaignId, day])
  )[0]!;
}

/** When the last day before `day` enrolled (the domain's "since the last run"). */
export async function lastEnrolmentBefore(sql: Sql, campaignId: string, day: string): Promise<Date | null> {
  const rows = await sql.query<{ at: Date | null }>(
    `SELECT max("enrolledAt") AS at FROM "ProgramRun" WHERE "campaignId" = $1 AND day < $2::date`,
    [campaignId, day],
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

/**
 * The day's members and the run's mark in one transaction: either both are written or neither, so
 * a crash before the commit leaves nobody enrolled (the re-run chooses again) and a crash after it
 * leaves the mark that stops the re-run from choosing twice.
 */
export async function enrolDay(
  sql: Sql,
  run: { campaignId: string; shop: string; day: string },
  assignedAt: Date,
  members: Array<{ customerId: string; branch: ProgramBranch; holdout: boolean; holdoutUntil: Date | null; offerVersion?: number | null }>,
  counts: { deferred: number; excluded: number; noConsent: number },
): Promise<number> {
  return sql.transaction(async (tx) => {
    const marked = await tx.query(
      `UPDATE "ProgramRun" SET "enrolledAt" = $3, enrolled = $4, deferred = $5, excluded = $6, "noConsent" = $7
       WHERE "campaignId" = $1 AND day = $2::date AND "enrolledAt" IS NULL RETURNING 1`,
      [run.campaignId, run.day, isoOf(assignedAt), members.length, counts.deferred, counts.excluded, counts.noConsent],
    );
    // Another worker enrolled this day meanwhile: write nothing.
    if (!marked.length) return 0;
    if (!members.length) return 0;
    const inserted = await tx.query(
      `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt", "holdoutUntil", "offerVersion")
       SELECT $1, u.id, $2, u.branch, u.holdout, $3, u.until, u.version
         FROM unnest($4::bigint[], $5::text[], $6::boolean[], $7::timestamp[], $8::int[]) AS u(id, branch, holdout, until, version)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        run.campaignId,
        run.shop,
        isoOf(assignedAt),
        members.map((m) => m.customerId),
        members.map((m) => m.branch),
        members.map((m) => m.holdout),
        members.map((m) => (m.holdoutUntil ? isoOf(m.holdoutUntil) : null)),
        members.map((m) => m.offerVersion ?? null),
      ],
    );
    return inserted.length;
  });
}

export async function finishRun(sql: Sql, campaignId: string, day: string, now: Date, error: string | null = null): Promise<void> {
  await sql.query(`UPDATE "ProgramRun" SET "finishedAt" = $3, error = $4 WHERE "campaignId" = $1 AND day = $2::date`, [
    campaignId,
    day,
    isoOf(now),
    error,
  ]);
}

export async function recentRuns(sql: Sql, campaignId: string, limit = 14): Promise<ProgramRunRow[]> {
  return sql.query<ProgramRunRow>(`SELECT ${RUN_COLUMNS} FROM "ProgramRun" WHERE "campaignId" = $1 ORDER BY day DESC LIMIT $2`, [
    campaignId,
    limit,
  ]);
}

/** Every member of a program with their own enrolment (each member's measurement window starts there). */
export async function programMemberWindows(
  sql: Sql,
  campaignId: string,
): Promise<Array<{ customerId: string; holdout: boolean; assignedAt: Date; offerVersion: number | null }>> {
  const rows = await sql.query<{ customerId: string; holdout: boolean; assignedAt: Date; offerVersion: number | null }>(
    `SELECT "customerId"::text AS "customerId", holdout, "assignedAt", "offerVersion" FROM "CampaignMember" WHERE "campaignId" = $1 ORDER BY "customerId"`,
    [campaignId],
  );
  return rows.map((r) => ({ ...r, assignedAt: new Date(r.assignedAt) }));
}

// ── Compliance (app/jobs/feature.ts hooks; ADR 076) ──────────────────────────────────────────────

/** customers/redact: the customers' touches and memberships (the campaign rows name no customer). */
export async function redactCampaignCustomers(sql: Sql, shop: string, customerIds: string[]): Promise<void> {
  await sql.query(`DELETE FROM "CampaignTouch" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
  await sql.query(`DELETE FROM "CampaignMember" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
}

/** shop/redact: every campaign and program of the shop, their members, touches and daily runs. */
export async function redactCampaignShop(sql: Sql, shop: string): Promise<void> {
  await sql.query(`DELETE FROM "CampaignTouch" WHERE shop = $1`, [shop]);
  await sql.query(`DELETE FROM "CampaignMember" WHERE shop = $1`, [shop]);
  // The kept figures (ADR 105) after the touches, whose trigger updates the touch counts.
  await sql.query(`DELETE FROM "CampaignTotals" WHERE shop = $1`, [shop]);
  await sql.query(`DELETE FROM "CampaignTouchCount" WHERE shop = $1`, [shop]);
  await sql.query(`DELETE FROM "ProgramRun" WHERE shop = $1`, [shop]);
  await sql.query(`DELETE FROM "Campaign" WHERE shop = $1`, [shop]);
}

/** customers/data_request: the customers' memberships and touches as stored (every column). */
export async function exportCampaignCustomers(
  sql: Sql,
  shop: string,
  customerIds: string[],
): Promise<{ CampaignMember: unknown[]; CampaignTouch: unknown[] }> {
  const [members, touches] = await Promise.all([
    sql.query(`SELECT * FROM "CampaignMember" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "assignedAt", "campaignId"`, [
      shop,
      customerIds,
    ]),
    sql.query(
      `SELECT * FROM "CampaignTouch" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "campaignId", "customerId", day`,
      [shop, customerIds],
    ),
  ]);
  return { CampaignMember: members, CampaignTouch: touches };
}

/** A customer's membership of one campaign or program, with what the profile page shows of it. */
export interface CustomerMembership {
  campaignId: string;
  name: string;
  kind: "campaign" | "program";
  status: CampaignRowStatus;
  branch: string;
  holdout: boolean;
  assignedAt: Date;
  holdoutUntil: Date | null;
  exitedAt: Date | null;
  exitReason: string | null;
  reactivatedAt: Date | null;
  reactivationOrderId: string | null;
}

/** Every campaign and program a customer is (or was) in, newest enrolment first. */
export async function customerMemberships(sql: Sql, shop: string, customerId: string): Promise<CustomerMembership[]> {
  const rows = await sql.query<CustomerMembership>(
    `SELECT m."campaignId", c.name, c.kind, c.status, m.branch, m.holdout, m."assignedAt", m."holdoutUntil", m."exitedAt", m."exitReason",
            m."reactivatedAt", m."reactivationOrderId"::text AS "reactivationOrderId"
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId" AND c.shop = m.shop
      WHERE m.shop = $1 AND m."customerId" = $2::bigint ORDER BY m."assignedAt" DESC, m."campaignId"`,
    [shop, customerId],
  );
  const d = (v: Date | null) => (v ? new Date(v) : null);
  return rows.map((r) => ({
    ...r,
    assignedAt: new Date(r.assignedAt),
    holdoutUntil: d(r.holdoutUntil),
    exitedAt: d(r.exitedAt),
    reactivatedAt: d(r.reactivatedAt),
  }));
}

/** A customer's touches in every campaign and program (what was planned, sent or skipped and why). */
export async function customerTouches(
  sql: Sql,
  shop: string,
  customerId: string,
): Promise<Array<{ campaignId: string; day: number; dueAt: Date; state: string; reason: string | null; messageId: string | null }>> {
  const rows = await sql.query<{
    campaignId: string;
    day: number;
    dueAt: Date;
    state: string;
    reason: string | null;
    messageId: string | null;
  }>(
    `SELECT "campaignId", day, "dueAt", state, reason, "messageId" FROM "CampaignTouch" WHERE shop = $1 AND "customerId" = $2::bigint ORDER BY "dueAt" DESC, day DESC`,
    [shop, customerId],
  );
  return rows.map((r) => ({ ...r, dueAt: new Date(r.dueAt) }));
}

// ── Uplift targeting (ADR 100) ─────────────────────────────────────────────────────────────────

/** Records each member's churn risk at assignment (the held-out comparison ranks past members by it). */
export async function recordAssignmentRisk(
  sql: Sql,
  campaignId: string,
  members: ReadonlyArray<{ customerId: string; churnRisk: number }>,
): Promise<void> {
  if (!members.length) return;
  await sql.query(
    `UPDATE "CampaignMember" m SET "churnRiskAtAssignment" = u.risk
       FROM unnest($2::bigint[], $3::float8[]) AS u(id, risk)
      WHERE m."campaignId" = $1 AND m."customerId" = u.id`,
    [campaignId, members.map((m) => m.customerId), members.map((m) => m.churnRisk)],
  );
}

/** A past Standard member whose measurement window has closed: one randomised unit for the uplift model. */
export interface FinishedMember {
  campaignId: string;
  customerId: string;
  holdout: boolean;
  assignedAt: Date;
  windowEnd: Date;
  discountCode: string;
  churnRiskAtAssignment: number | null;
}

/**
 * One keyset page (after `after`, by campaign then customer) of the Standard members of launched
 * campaigns and programs whose window ended before `before`. Members who left because tagging
 * failed stay (intention to treat, like the measurement).
 */
export async function finishedStandardMembers(
  sql: Sql,
  shop: string,
  before: Date,
  after: { campaignId: string; customerId: string } | null,
  limit: number,
): Promise<FinishedMember[]> {
  const rows = await sql.query<FinishedMember>(
    `SELECT m."campaignId", m."customerId"::text AS "customerId", m.holdout, m."assignedAt",
            m."assignedAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int) AS "windowEnd",
            c."discountCode", m."churnRiskAtAssignment"
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
      WHERE m.shop = $1 AND m.branch = 'Standard' AND c.status IN ('active', 'paused', 'completed', 'stopped') AND c."launchAt" IS NOT NULL
        AND m."assignedAt" + make_interval(days => (c.settings ->> 'reactivationWindowDays')::int) <= $2::timestamp
        AND ($3::text IS NULL OR (m."campaignId", m."customerId") > ($3::text, $4::bigint))
      ORDER BY m."campaignId", m."customerId"
      LIMIT $5`,
    [shop, before.toISOString(), after?.campaignId ?? null, after?.customerId ?? null, limit],
  );
  return rows.map((r) => ({
    ...r,
    assignedAt: new Date(r.assignedAt),
    windowEnd: new Date(r.windowEnd),
    churnRiskAtAssignment: r.churnRiskAtAssignment == null ? null : Number(r.churnRiskAtAssignment),
  }));
}
