import type { Sql } from "../db/sql";

/*
 * The analysis feature's store (docs/decisions/076-table-ownership.md): the only module that reads
 * or writes `AnalysisRun` and `CustomerScore`. Other features read the analysis's results only
 * through the functions exported here (win-back targets, scores of customers, the latest run).
 */

export type WinbackBranch = "VIP" | "Standard";

/**
 * The customers the latest analysis marked as win-back targets, with their branch and churn risk (the
 * plan's ordering and the members' risk at assignment, ADR 100), in customer id order.
 */
export async function winbackTargets(sql: Sql, shop: string): Promise<Array<{ id: string; branch: WinbackBranch; churnRisk: number }>> {
  const rows = await sql.query<{ id: string; branch: WinbackBranch; churnRisk: number }>(
    `SELECT "customerId"::text AS id, branch, "churnRisk" FROM "CustomerScore" WHERE shop = $1 AND target AND branch IN ('VIP', 'Standard') ORDER BY "customerId"`,
    [shop],
  );
  return rows.map((r) => ({ ...r, churnRisk: Number(r.churnRisk) }));
}

/** How many win-back targets the latest analysis marked. */
export async function countWinbackTargets(sql: Sql, shop: string): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "CustomerScore" WHERE shop = $1 AND target AND branch IN ('VIP', 'Standard')`,
    [shop],
  );
  return rows[0]?.n ?? 0;
}

/* ---- Compliance (docs/decisions/076-table-ownership.md): the analysis's rows of customers or of a shop. ---- */

export async function redactAnalysisCustomers(tx: Sql, shop: string, input: { customerIds: string[] }) {
  if (!input.customerIds.length) return;
  await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, input.customerIds]);
}

export async function redactAnalysisShop(tx: Sql, shop: string) {
  await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [shop]);
  await tx.query(`DELETE FROM "AnalysisRun" WHERE shop = $1`, [shop]);
}

export async function exportAnalysisCustomerData(sql: Sql, shop: string, customerIds: string[]): Promise<Record<string, unknown[]>> {
  return {
    CustomerScore: await sql.query(`SELECT * FROM "CustomerScore" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [
      shop,
      customerIds,
    ]),
  };
}

/** The analysis's compliance hooks (app/jobs/feature.ts); app/compliance.server.ts calls them. */
export const analysisCompliance = {
  redactCustomers: redactAnalysisCustomers,
  redactShop: redactAnalysisShop,
  exportCustomerData: exportAnalysisCustomerData,
};

/* ---- Runs (AnalysisRun) and scores (CustomerScore), written by app/analysis/run.ts ---- */

/** Starts a run; runs still "running" from before `staleBefore` died with their process and are marked failed. */
export async function startAnalysisRun(sql: Sql, run: { id: string; shop: string; asOf: Date; startedAt: Date; staleBefore: Date }) {
  await sql.query(
    `UPDATE "AnalysisRun" SET status = 'failed', error = 'Interrupted (the process stopped while analysing)', "finishedAt" = $3
     WHERE shop = $1 AND status = 'running' AND "startedAt" < $2`,
    [run.shop, run.staleBefore, run.startedAt],
  );
  await sql.query(`INSERT INTO "AnalysisRun" (id, shop, "asOf", status, "startedAt") VALUES ($1, $2, $3, 'running', $4)`, [
    run.id,
    run.shop,
    run.asOf,
    run.startedAt,
  ]);
}

/** What a completed run stores besides its rows (known once every row was scored). */
export interface RunCompletion {
  customers: number;
  summary: unknown;
  model: unknown;
  message: string | null;
}

/**
 * Replaces the shop's scores with the run's and marks it completed, in one transaction (readers see
 * the old scores with the old run or the new ones with the new run). One writer per shop at a
 * time; the run that started last wins even if it finishes first: true when a newer run already
 * completed (this one is then "superseded", `rowTexts` is not read and nothing is written).
 * `rowTexts` are the rows as COPY text in SCORE_COPY_COLUMNS order (app/analysis/worker-compute.ts
 * renders them), each written as it arrives; `completion` is asked for after the last.
 */
export async function storeCompletedRun(
  sql: Sql,
  run: {
    id: string;
    shop: string;
    startedAt: Date;
    now: () => Date;
    rowTexts: AsyncIterable<string>;
    completion: () => Promise<RunCompletion>;
  },
): Promise<boolean> {
  return sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`analysis:${run.shop}`]);
    const newer = await tx.query(`SELECT 1 FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed' AND "startedAt" > $2 LIMIT 1`, [
      run.shop,
      run.startedAt,
    ]);
    if (newer.length) {
      await tx.query(`UPDATE "AnalysisRun" SET status = 'superseded', "finishedAt" = $2 WHERE id = $1`, [run.id, run.now()]);
      return true;
    }
    // Exactly one completed run per shop: the one the stored scores belong to.
    await tx.query(`UPDATE "AnalysisRun" SET status = 'replaced' WHERE shop = $1 AND status = 'completed'`, [run.shop]);
    await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [run.shop]);
    // COPY, several times faster than INSERT for a million rows; one slice's text in memory at a time.
    for await (const text of run.rowTexts) await tx.copyFrom("CustomerScore", SCORE_COPY_COLUMNS, text);
    const done = await run.completion();
    await tx.query(
      `UPDATE "AnalysisRun" SET status = 'completed', "finishedAt" = $2, customers = $3, summary = $4::jsonb, model = $5::jsonb, error = $6 WHERE id = $1`,
      [run.id, run.now(), done.customers, JSON.stringify(done.summary), done.model ? JSON.stringify(done.model) : null, done.message],
    );
    return false;
  });
}

export async function failAnalysisRun(sql: Sql, runId: string, now: Date, message: string) {
  await sql.query(`UPDATE "AnalysisRun" SET status = 'failed', "finishedAt" = $2, error = $3 WHERE id = $1`, [
    runId,
    now,
    message.slice(0, 2000),
  ]);
}

/** The score table's columns in COPY order (the job's writer; the page benchmark seeds with them too). */
export const SCORE_COPY_COLUMNS = [
  "shop",
  "customerId",
  "runId",
  "lapseClass",
  "overdue",
  "vip",
  "target",
  "branch",
  "orders",
  "purchaseDays",
  "totalSpent",
  "aov",
  "firstOrderAt",
  "lastOrderAt",
  "daysSinceLast",
  "medianGapDays",
  "pAlive",
  "expectedPurchases90",
  "expectedNextOrderAt",
  "predictedValue12m",
  "churnRisk",
  "expectedOrderValue",
  "pBuy",
];

/** A stored run; `summary` and `model` are the JSON run.ts wrote (typed there). */
export interface AnalysisRunRow {
  id: string;
  asOf: Date;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  customers: number;
  summary: unknown;
  model: unknown;
  error: string | null;
}

/** The latest completed run, and the newest running or failed run started since (or ever, without a completed one). */
export async function latestRuns(sql: Sql, shop: string): Promise<{ completed: AnalysisRunRow | null; newest: AnalysisRunRow | null }> {
  const cols = `id, "asOf", status, "startedAt", "finishedAt", customers, summary, model, error`;
  const done = await sql.query<AnalysisRunRow>(
    `SELECT ${cols} FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed' ORDER BY "finishedAt" DESC NULLS LAST, "startedAt" DESC LIMIT 1`,
    [shop],
  );
  const newest = await sql.query<AnalysisRunRow>(
    `SELECT ${cols} FROM "AnalysisRun" WHERE shop = $1 AND status IN ('running', 'failed') AND ($2::timestamp IS NULL OR "startedAt" >= $2::timestamp)
     ORDER BY "startedAt" DESC, "finishedAt" DESC NULLS FIRST LIMIT 1`,
    [shop, done[0]?.startedAt ?? null],
  );
  return { completed: done[0] ?? null, newest: newest[0] ?? null };
}

/* ---- The segment explorer's reads (app/analysis/explorer.ts builds the query) ---- */

export interface ScoreFilters {
  class?: string;
  branch?: string;
  vip?: "yes" | "no";
  overdue?: "yes" | "no";
  target?: "yes" | "no";
}

/** A score row as the explorer shows it (the customer's name and email come from the sync). */
export interface ScoreRow {
  customerId: string;
  lapseClass: string;
  overdue: boolean;
  vip: boolean;
  target: boolean;
  branch: string | null;
  orders: number;
  purchaseDays: number;
  totalSpent: number;
  aov: number;
  firstOrderDate: string;
  lastOrderDate: string;
  daysSinceLast: number;
  medianGapDays: number | null;
  /** P(at least one order within the analysis horizon); NULL without a trained churn model (ADR 082). */
  pBuy: number | null;
  expectedPurchases90: number | null;
  expectedOrderValue: number | null;
  predictedValue12m: number | null;
  expectedNextOrderDate: string | null;
  churnRisk: number;
  sortValue: number;
}

/** WHERE clause of the filters; parameters are appended to `params` ($1 is the shop). */
function filterSql(f: ScoreFilters, params: unknown[]): string {
  const w = [`cs.shop = $1`];
  const add = (cond: string, v: unknown) => {
    params.push(v);
    w.push(cond.replace("?", `$${params.length}`));
  };
  if (f.class) add(`cs."lapseClass" = ?`, f.class);
  if (f.branch) add(`cs.branch = ?`, f.branch);
  if (f.vip) add(`cs.vip = ?`, f.vip === "yes");
  if (f.overdue) add(`cs.overdue = ?`, f.overdue === "yes");
  if (f.target) add(`cs.target = ?`, f.target === "yes");
  return w.join(" AND ");
}

const SCORE_COLUMNS = `cs."customerId"::text AS "customerId", cs."lapseClass", cs.overdue, cs.vip, cs.target,
  cs.branch, cs.orders, cs."purchaseDays", cs."totalSpent", cs.aov, to_char(cs."firstOrderAt", 'YYYY-MM-DD') AS "firstOrderDate",
  to_char(cs."lastOrderAt", 'YYYY-MM-DD') AS "lastOrderDate", cs."daysSinceLast", cs."medianGapDays", cs."pBuy", cs."expectedPurchases90",
  cs."expectedOrderValue", cs."predictedValue12m", to_char(cs."expectedNextOrderAt", 'YYYY-MM-DD') AS "expectedNextOrderDate", cs."churnRisk"`;

const CLASS_CODE: Record<string, number> = { active: 0, at_risk: 1, high_risk: 2, lost: 3 };

/**
 * The values of the generated column `segment` a filter admits (migration 20261204000300_score_indexes):
 * lapse class × 8 + VIP × 4 + overdue × 2 + target, with every class the analysis does not write
 * counted as "lost". The analysis sets a branch only on targets, VIP on VIPs and Standard on the
 * others (analyze), so a branch filter admits those codes only. The filters' own conditions stay in
 * the query: the codes choose the index ranges read, the conditions decide the rows.
 */
export function segmentCodes(f: ScoreFilters): number[] {
  const out: number[] = [];
  for (let code = 0; code < 32; code++) {
    const target = (code & 1) === 1,
      overdue = (code & 2) === 2,
      vip = (code & 4) === 4;
    if (f.class && CLASS_CODE[f.class] !== code >> 3) continue;
    if (f.vip && vip !== (f.vip === "yes")) continue;
    if (f.overdue && overdue !== (f.overdue === "yes")) continue;
    if (f.target && target !== (f.target === "yes")) continue;
    if (f.branch && (!target || vip !== (f.branch === "VIP"))) continue;
    out.push(code);
  }
  return out;
}

/**
 * One keyset page of scores: filtered, ordered by `sort.expr` (an expression over `cs`, one of the
 * explorer's fixed sorts) then customer id, after the cursor (value, id) in that order.
 *
 * One index per sort, (shop, segment, sort, customerId) (ADR 096): each segment code the filters
 * admit is its own branch of a UNION ALL, read in sort order from that index, and PostgreSQL merges
 * the branches (Merge Append) and stops at the page's last row, so a page reads about `limit` rows
 * plus one per branch, whichever filter and however deep the cursor.
 */
export async function scorePage(
  sql: Sql,
  shop: string,
  q: { filters: ScoreFilters; sort: { expr: string; type: string }; asc: boolean; limit: number; cursor?: { v: number; id: string } },
): Promise<ScoreRow[]> {
  const codes = segmentCodes(q.filters);
  if (!codes.length) return [];
  const params: unknown[] = [shop];
  const where = [filterSql(q.filters, params)];
  const c = q.cursor;
  if (c) {
    params.push(c.v, c.id);
    where.push(`(${q.sort.expr}, cs."customerId") ${q.asc ? ">" : "<"} ($${params.length - 1}::${q.sort.type}, $${params.length}::bigint)`);
  }
  params.push(q.limit);
  const dir = q.asc ? "ASC" : "DESC";
  const limit = `$${params.length}`;
  const branches = codes.map(
    (code) =>
      `(SELECT ${SCORE_COLUMNS}, (${q.sort.expr})::float8 AS "sortValue", ${q.sort.expr} AS "sortKey", cs."customerId" AS "idKey"
        FROM "CustomerScore" cs
        WHERE ${where.join(" AND ")} AND cs.segment = ${code}
        ORDER BY ${q.sort.expr} ${dir}, cs."customerId" ${dir}
        LIMIT ${limit})`,
  );
  const rows = await sql.query<ScoreRow & { sortKey?: unknown; idKey?: unknown }>(
    `SELECT * FROM (${branches.join("\n UNION ALL ")}) page ORDER BY "sortKey" ${dir}, "idKey" ${dir} LIMIT ${limit}`,
    params,
  );
  for (const r of rows) {
    delete r.sortKey;
    delete r.idKey;
  }
  return rows;
}

/** How many scores match the filters. */
export async function countScores(sql: Sql, shop: string, filters: ScoreFilters): Promise<number> {
  const params: unknown[] = [shop];
  const where = filterSql(filters, params);
  return (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CustomerScore" cs WHERE ${where}`, params))[0]!.n;
}

/** What an always-on program's silence signal reads of a score (ADR 078). */
export interface ProgramScore {
  customerId: string;
  vip: boolean;
  lastOrderAt: Date;
  purchaseDays: number;
  medianGapDays: number | null;
  churnRisk: number;
}

/** The latest scores of the VIP (`vip`) or the other customers, for a program's daily enrolment. */
export async function scoresForProgram(sql: Sql, shop: string, vip: boolean): Promise<ProgramScore[]> {
  const rows = await sql.query<ProgramScore>(
    `SELECT "customerId"::text AS "customerId", vip, "lastOrderAt", "purchaseDays", "medianGapDays", "churnRisk" FROM "CustomerScore" WHERE shop = $1 AND vip = $2`,
    [shop, vip],
  );
  return rows.map((r) => ({
    ...r,
    lastOrderAt: new Date(r.lastOrderAt),
    churnRisk: Number(r.churnRisk),
    medianGapDays: r.medianGapDays == null ? null : Number(r.medianGapDays),
  }));
}

/** One customer's latest score as the explorer shows it, or null (not scored yet). */
export async function customerScore(sql: Sql, shop: string, customerId: string): Promise<Omit<ScoreRow, "sortValue"> | null> {
  const rows = await sql.query<Omit<ScoreRow, "sortValue">>(
    `SELECT ${SCORE_COLUMNS} FROM "CustomerScore" cs WHERE cs.shop = $1 AND cs."customerId" = $2::bigint`,
    [shop, customerId],
  );
  return rows[0] ?? null;
}

/** The cycle and buying chance of some customers from the latest scores (won-back health, ADR 102); unscored ones are absent. */
export async function cycleAndBuyChance(
  sql: Sql,
  shop: string,
  customerIds: string[],
): Promise<Map<string, { medianGapDays: number | null; pBuy: number | null }>> {
  if (!customerIds.length) return new Map();
  const rows = await sql.query<{ customerId: string; medianGapDays: number | null; pBuy: number | null }>(
    `SELECT "customerId"::text AS "customerId", "medianGapDays", "pBuy" FROM "CustomerScore" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`,
    [shop, customerIds],
  );
  const num = (v: number | null) => (v == null ? null : Number(v));
  return new Map(rows.map((r) => [r.customerId, { medianGapDays: num(r.medianGapDays), pBuy: num(r.pBuy) }]));
}
