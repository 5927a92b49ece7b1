import type { Sql } from "../db/sql";
import type { CampaignSettings } from "../domain/campaigns";
import { parseProgramSettings, type ProgramBranch, type ProgramCandidate, type ProgramSettings } from "../domain/campaigns/program";
import { qualifyingOrder } from "../sync/orders-sql";
import { getCampaign, type CampaignRow } from "./store";

/*
 * The programs' store (ADR 078): program rows (Campaign rows of kind 'program'), their daily runs
 * (ProgramRun), members joining with their own assignedAt, and measurement over each member's own
 * window. Everything else about members, touches and tags is the campaigns' store (store.ts).
 */

export interface ProgramRow extends CampaignRow {
  kind: "program";
  programBranch: ProgramBranch;
  programSettings: ProgramSettings;
}

const iso = (d: Date) => d.toISOString();

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
  const rows = await sql.query<{ id: string }>(`SELECT id FROM "Campaign" WHERE shop = $1 AND kind = 'program' AND "programBranch" = $2`, [shop, branch]);
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
  p: { id: string; shop: string; branch: ProgramBranch; name: string; settings: CampaignSettings; programSettings: ProgramSettings; tag: string; discountCode: string; now: Date },
): Promise<void> {
  await sql.query(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", kind, "programBranch", "programSettings", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'draft', $4::jsonb, $5, $6, 'program', $7, $8::jsonb, $9, $9)
     ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, "programSettings" = excluded."programSettings", "updatedAt" = excluded."updatedAt"`,
    [p.id, p.shop, p.name, JSON.stringify(p.settings), p.tag, p.discountCode, p.branch, JSON.stringify(p.programSettings), iso(p.now)],
  );
}

/** draft → launching: the launch job creates the segment and the discount; members come daily. */
export async function markProgramLaunching(sql: Sql, id: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Campaign" SET status = 'launching', "launchAt" = $2, "updatedAt" = now() WHERE id = $1 AND kind = 'program' AND status = 'draft' RETURNING id`,
    [id, iso(now)],
  );
  return rows.length > 0;
}

/** Guardrail state written on every run (shown on the page even when it did not pause). */
export async function saveProgramGuardrail(sql: Sql, id: string, guardrail: unknown): Promise<void> {
  await sql.query(`UPDATE "Campaign" SET guardrail = $2::jsonb WHERE id = $1`, [id, JSON.stringify(guardrail)]);
}

/* ---- Candidates and membership ---- */

/**
 * The analysis' scores of one branch with the newest last order: the sync keeps Customer.lastOrderAt
 * current between two analysis runs, so a customer who just ordered is not taken for silent.
 */
export async function programCandidates(sql: Sql, shop: string, branch: ProgramBranch): Promise<ProgramCandidate[]> {
  const rows = await sql.query<{ customerId: string; vip: boolean; lastOrderAt: Date; purchaseDays: number; medianGapDays: number | null; churnRisk: number; emailConsent: string | null }>(
    `SELECT s."customerId"::text AS "customerId", s.vip, greatest(s."lastOrderAt", c."lastOrderAt") AS "lastOrderAt", s."purchaseDays", s."medianGapDays", s."churnRisk",
            c."emailConsent"
     FROM "CustomerScore" s LEFT JOIN "Customer" c ON c.shop = s.shop AND c.id = s."customerId"
     WHERE s.shop = $1 AND s.vip = $2`,
    [shop, branch === "VIP"],
  );
  return rows.map((r) => ({ ...r, lastOrderAt: new Date(r.lastOrderAt), churnRisk: Number(r.churnRisk), medianGapDays: r.medianGapDays == null ? null : Number(r.medianGapDays) }));
}

/** Everyone ever enrolled in the program: a program enrols a customer once. */
export async function programMemberIds(sql: Sql, campaignId: string): Promise<Set<string>> {
  const rows = await sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1`, [campaignId]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Touch rows for treated members that have none yet, each due relative to the member's own
 * enrolment: a member who joined today gets Day 0 today, Day 3 in three days. Members enrolled
 * earlier keep the rows they have (a later change of touch days does not reach back).
 */
export async function insertMemberTouches(sql: Sql, campaignId: string, branch: ProgramBranch, days: readonly number[]): Promise<number> {
  const rows = await sql.query(
    `INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", state, "updatedAt")
     SELECT m."campaignId", m."customerId", s.day, m.shop, s.step - 1, m.branch, m."assignedAt" + make_interval(days => s.day), 'scheduled', now()
     FROM "CampaignMember" m CROSS JOIN unnest($3::int[]) WITH ORDINALITY AS s(day, step)
     WHERE m."campaignId" = $1 AND m.branch = $2 AND NOT m.holdout AND m."exitedAt" IS NULL
       AND NOT EXISTS (SELECT 1 FROM "CampaignTouch" t WHERE t."campaignId" = m."campaignId" AND t."customerId" = m."customerId")
     ON CONFLICT DO NOTHING RETURNING 1`,
    [campaignId, branch, [...days]],
  );
  return rows.length;
}

/** Treated VIP members still in the program without an outreach task, grouped by enrolment time. */
export async function treatedMembersAssignedSince(sql: Sql, campaignId: string, since: Date): Promise<Array<{ customerId: string; assignedAt: Date }>> {
  const rows = await sql.query<{ customerId: string; assignedAt: Date }>(
    `SELECT "customerId"::text AS "customerId", "assignedAt" FROM "CampaignMember"
     WHERE "campaignId" = $1 AND NOT holdout AND "exitedAt" IS NULL AND "assignedAt" >= $2 ORDER BY "assignedAt", "customerId"`,
    [campaignId, iso(since)],
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
  await sql.query(`INSERT INTO "ProgramRun" ("campaignId", day, shop, "startedAt") VALUES ($1, $2::date, $3, $4) ON CONFLICT DO NOTHING`, [campaignId, day, shop, iso(now)]);
  return (await sql.query<ProgramRunRow>(`SELECT ${RUN_COLUMNS} FROM "ProgramRun" WHERE "campaignId" = $1 AND day = $2::date`, [campaignId, day]))[0]!;
}

/** When the last day before `day` enrolled (the domain's "since the last run"). */
export async function lastEnrolmentBefore(sql: Sql, campaignId: string, day: string): Promise<Date | null> {
  const rows = await sql.query<{ at: Date | null }>(`SELECT max("enrolledAt") AS at FROM "ProgramRun" WHERE "campaignId" = $1 AND day < $2::date`, [campaignId, day]);
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
  members: Array<{ customerId: string; branch: ProgramBranch; holdout: boolean; holdoutUntil: Date | null }>,
  counts: { deferred: number; excluded: number; noConsent: number },
): Promise<number> {
  return sql.transaction(async (tx) => {
    const marked = await tx.query(
      `UPDATE "ProgramRun" SET "enrolledAt" = $3, enrolled = $4, deferred = $5, excluded = $6, "noConsent" = $7
       WHERE "campaignId" = $1 AND day = $2::date AND "enrolledAt" IS NULL RETURNING 1`,
      [run.campaignId, run.day, iso(assignedAt), members.length, counts.deferred, counts.excluded, counts.noConsent],
    );
    // Another worker enrolled this day meanwhile: write nothing.
    if (!marked.length) return 0;
    if (!members.length) return 0;
    const inserted = await tx.query(
      `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt", "holdoutUntil")
       SELECT $1, u.id, $2, u.branch, u.holdout, $3, u.until FROM unnest($4::bigint[], $5::text[], $6::boolean[], $7::timestamp[]) AS u(id, branch, holdout, until)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        run.campaignId,
        run.shop,
        iso(assignedAt),
        members.map((m) => m.customerId),
        members.map((m) => m.branch),
        members.map((m) => m.holdout),
        members.map((m) => (m.holdoutUntil ? iso(m.holdoutUntil) : null)),
      ],
    );
    return inserted.length;
  });
}

export async function finishRun(sql: Sql, campaignId: string, day: string, now: Date, error: string | null = null): Promise<void> {
  await sql.query(`UPDATE "ProgramRun" SET "finishedAt" = $3, error = $4 WHERE "campaignId" = $1 AND day = $2::date`, [campaignId, day, iso(now), error]);
}

export async function recentRuns(sql: Sql, campaignId: string, limit = 14): Promise<ProgramRunRow[]> {
  return sql.query<ProgramRunRow>(`SELECT ${RUN_COLUMNS} FROM "ProgramRun" WHERE "campaignId" = $1 ORDER BY day DESC LIMIT $2`, [campaignId, limit]);
}

/* ---- Measurement ---- */

export interface MemberOutcomeRow {
  customerId: string;
  holdout: boolean;
  assignedAt: Date;
  firstAt: Date | null;
  revenue: number;
  redemptions: number;
  redeemedTotal: number;
}

/**
 * Each member's qualifying orders inside their own window [assignedAt, assignedAt + windowDays),
 * from our copy of the orders (like a campaign's measurement), and those that used the program code.
 */
export async function memberOutcomes(sql: Sql, campaignId: string, windowDays: number, discountCode: string): Promise<MemberOutcomeRow[]> {
  const code = `upper($3) = ANY (SELECT upper(x) FROM unnest(o."discountCodes") x)`;
  const rows = await sql.query<{ customerId: string; holdout: boolean; assignedAt: Date; firstAt: Date | null; revenue: string; redemptions: number; redeemedTotal: string }>(
    `SELECT m."customerId"::text AS "customerId", m.holdout, m."assignedAt", min(o."processedAt") AS "firstAt", coalesce(sum(o."currentTotal"), 0)::text AS revenue,
            count(o.id) FILTER (WHERE ${code})::int AS redemptions, coalesce(sum(o."currentTotal") FILTER (WHERE ${code}), 0)::text AS "redeemedTotal"
     FROM "CampaignMember" m
     LEFT JOIN "Order" o ON o.shop = m.shop AND o."customerId" = m."customerId" AND o."processedAt" >= m."assignedAt"
       AND o."processedAt" < m."assignedAt" + make_interval(days => $2) AND ${qualifyingOrder("o")}
     WHERE m."campaignId" = $1
     GROUP BY m."customerId", m.holdout, m."assignedAt"`,
    [campaignId, windowDays, discountCode],
  );
  return rows.map((r) => ({
    customerId: r.customerId,
    holdout: r.holdout,
    assignedAt: new Date(r.assignedAt),
    firstAt: r.firstAt ? new Date(r.firstAt) : null,
    revenue: Number(r.revenue),
    redemptions: r.redemptions,
    redeemedTotal: Number(r.redeemedTotal),
  }));
}
