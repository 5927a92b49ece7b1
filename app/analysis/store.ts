import { SHOP_ROLE, type Sql } from "../db/sql";
import { AppError } from "../lib/errors";

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

/** How long each step of a run's write took (bench/analysis-job.ts prints them), ms. */
export interface ScoreWriteTimes {
  /** COPY of the rows into the run's table (scoring and rendering overlap it). */
  loadMs: number;
  /** Building the run table's indexes, statistics and row-level security. */
  indexMs: number;
  /** The swap transaction (what readers and the shop's other runs wait on). */
  swapMs: number;
}

/** The prefix of a run's own score table (ADR 106); the rest is the run id without its dashes. */
export const RUN_TABLE_PREFIX = "CustomerScoreRun_";

/**
 * The explorer's indexes on a run's table (ADR 096's five sorts). One shop per partition, so the
 * shop column of the default partition's (shop, segment, sort, customerId) keys is left out.
 */
export const RUN_TABLE_INDEXES = [
  `("segment", "churnRisk", "customerId")`,
  `("segment", "totalSpent", "customerId")`,
  `("segment", "daysSinceLast", "customerId")`,
  `("segment", (COALESCE("pBuy", -1)), "customerId")`,
  `("segment", (COALESCE("predictedValue12m", -1)), "customerId")`,
];

function runTable(runId: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new AppError("INTERNAL", `Not a run id: ${runId.slice(0, 60)}`);
  return `${RUN_TABLE_PREFIX}${runId.replace(/-/g, "").toLowerCase()}`;
}

/** A string as an SQL literal, for DDL that takes no parameters (standard_conforming_strings: only quotes double). */
function literal(value: string): string {
  if (value.includes("\0")) throw new AppError("INVALID_INPUT", "NUL in an SQL literal");
  return `'${value.replace(/'/g, "''")}'`;
}

// The swap waits at most this long for readers of "CustomerScore" (DETACH locks the parent), then
// lets them go on and tries again, instead of queueing every other shop's page behind it.
const SWAP_LOCK_TIMEOUT_MS = 2_000;
const SWAP_ATTEMPTS = 10;

/**
 * Replaces the shop's scores with the run's and marks it completed (docs/decisions/106-score-write.md).
 * "CustomerScore" is partitioned by shop; the run writes a table of its own and swaps it in:
 *
 * 1. the run's table is created empty (LIKE the parent) and committed at once, so the long load
 *    holds no lock on "CustomerScore";
 * 2. one transaction truncates it (so COPY may FREEZE), COPYs `rowTexts` into it as they arrive (no
 *    index to maintain), then builds its primary key and RUN_TABLE_INDEXES (one sort each), the
 *    CHECK that lets ATTACH skip its scan, statistics, and the row-level security every shop table has;
 * 3. one short transaction, under the shop's lock, detaches the shop's previous partition, attaches
 *    this one, drops the old one and marks the run completed.
 *
 * Readers see the old run until step 3 commits, and the new one whole after; a run that fails or
 * dies before leaves the previous partition untouched (its own table is dropped, or, after a
 * crash, by the next run: dropAbandonedRunTables). One completion per shop at a time; the run that
 * started last wins even if it finishes first: true when a newer run already completed (this one is
 * then "superseded" and nothing of it is kept). `rowTexts` are the rows as COPY text in
 * SCORE_COPY_COLUMNS order (app/analysis/worker-compute.ts renders them); `completion` is asked for
 * after the last.
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
    onTimes?: (t: ScoreWriteTimes) => void;
  },
): Promise<boolean> {
  const table = runTable(run.id);
  const times: ScoreWriteTimes = { loadMs: 0, indexMs: 0, swapMs: 0 };
  if (await supersede(sql, run)) return true;
  await dropAbandonedRunTables(sql);
  await sql.exec(`CREATE TABLE "${table}" (LIKE "CustomerScore" INCLUDING DEFAULTS INCLUDING GENERATED)`);
  try {
    await sql.transaction(async (tx) => {
      let t = performance.now();
      await tx.exec(`TRUNCATE "${table}"`);
      // One slice's text in memory at a time; no index, no RLS yet (COPY into a table under RLS is refused).
      for await (const text of run.rowTexts) await tx.copyFrom(table, SCORE_COPY_COLUMNS, text, { freeze: true });
      times.loadMs = performance.now() - t;
      t = performance.now();
      // A sort of a million keys fits in memory at this size (the default 64 MB spills to disk).
      if (tx.engine === "postgres") await tx.exec(`SET LOCAL maintenance_work_mem = '256MB'`);
      await tx.exec(
        [
          `ALTER TABLE "${table}" ADD PRIMARY KEY ("customerId")`,
          ...RUN_TABLE_INDEXES.map((cols) => `CREATE INDEX ON "${table}" ${cols}`),
          // ATTACH checks every row against the partition bound unless a constraint already proves it.
          `ALTER TABLE "${table}" ADD CONSTRAINT "${table}_shop" CHECK (shop = ${literal(run.shop)})`,
          `ANALYZE "${table}"`,
          ...rowLevelSecurity(table),
        ].join(";\n"),
      );
      await tx.exec(await systemPolicy(tx, table));
      times.indexMs = performance.now() - t;
    });
    const done = await run.completion();
    const t = performance.now();
    const superseded = await swapIn(sql, run, table, done);
    times.swapMs = performance.now() - t;
    if (superseded) await sql.exec(`DROP TABLE IF EXISTS "${table}"`);
    run.onTimes?.(times);
    return superseded;
  } catch (e) {
    // The previous partition was never touched. A crash instead leaves the table to the next run.
    await sql.exec(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    throw e;
  }
}

/** Marks the run superseded when a run of the shop that started later has completed already. */
async function supersede(tx: Sql, run: { id: string; shop: string; startedAt: Date; now: () => Date }): Promise<boolean> {
  const newer = await tx.query(`SELECT 1 FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed' AND "startedAt" > $2 LIMIT 1`, [
    run.shop,
    run.startedAt,
  ]);
  if (!newer.length) return false;
  await tx.query(`UPDATE "AnalysisRun" SET status = 'superseded', "finishedAt" = $2 WHERE id = $1`, [run.id, run.now()]);
  return true;
}

/** The policies and grant of every shop table (migration 20261203001900_row_level_security), for a run's table. */
function rowLevelSecurity(table: string): string[] {
  return [
    `GRANT SELECT, INSERT, UPDATE, DELETE ON "${table}" TO ${SHOP_ROLE}`,
    `ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY winback_shop_isolation ON "${table}" USING (shop = current_setting('winback.shop', true)) WITH CHECK (shop = current_setting('winback.shop', true))`,
  ];
}

/** The system policy, for the roles the parent's names (the role that migrated; the app's role may differ). */
async function systemPolicy(tx: Sql, table: string): Promise<string> {
  const rows = await tx.query<{ roles: string }>(
    `SELECT coalesce(string_agg(quote_ident(r.rolname), ', '), 'CURRENT_USER') AS roles
       FROM pg_policy p CROSS JOIN unnest(p.polroles) AS pr(oid) JOIN pg_roles r ON r.oid = pr.oid
      WHERE p.polrelid = '"CustomerScore"'::regclass AND p.polname = 'winback_system'`,
  );
  return `CREATE POLICY winback_system ON "${table}" TO ${rows[0]?.roles ?? "CURRENT_USER"} USING (true) WITH CHECK (true)`;
}

/** Step 3 of storeCompletedRun: the run's table replaces the shop's partition, or nothing happens (superseded). */
async function swapIn(sql: Sql, run: { id: string; shop: string; startedAt: Date; now: () => Date }, table: string, done: RunCompletion) {
  return sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`analysis:${run.shop}`]);
    if (await supersede(tx, run)) return true;
    // Exactly one completed run per shop: the one the stored scores belong to.
    await tx.query(`UPDATE "AnalysisRun" SET status = 'replaced' WHERE shop = $1 AND status = 'completed'`, [run.shop]);
    // The shop's scores from before its first partition (or inserted directly) would block the ATTACH.
    await tx.query(`DELETE FROM "CustomerScoreDefault" WHERE shop = $1`, [run.shop]);
    const old = await tx.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '"CustomerScore"'::regclass AND pg_get_expr(c.relpartbound, c.oid) = $1`,
      [`FOR VALUES IN (${literal(run.shop)})`],
    );
    const swap = [
      ...old.map((o) => `ALTER TABLE "CustomerScore" DETACH PARTITION "${o.name}"`),
      `ALTER TABLE "CustomerScore" ATTACH PARTITION "${table}" FOR VALUES IN (${literal(run.shop)})`,
      ...old.map((o) => `DROP TABLE "${o.name}"`),
    ].join(";\n");
    if (tx.engine === "pglite") await tx.exec(swap);
    else await withLockRetries(tx, swap);
    await tx.query(
      `UPDATE "AnalysisRun" SET status = 'completed', "finishedAt" = $2, customers = $3, summary = $4::jsonb, model = $5::jsonb, error = $6 WHERE id = $1`,
      [run.id, run.now(), done.customers, JSON.stringify(done.summary), done.model ? JSON.stringify(done.model) : null, done.message],
    );
    return false;
  });
}

/**
 * Runs `statements` in the transaction, giving up a lock after SWAP_LOCK_TIMEOUT_MS and trying again
 * (a savepoint undoes the attempt): DETACH waits for every running read of "CustomerScore", and while
 * it waits, every new read queues behind it.
 */
async function withLockRetries(tx: Sql, statements: string): Promise<void> {
  await tx.exec(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT_MS}ms'`);
  for (let attempt = 1; ; attempt++) {
    await tx.exec("SAVEPOINT swap");
    try {
      await tx.exec(statements);
      await tx.exec("RELEASE SAVEPOINT swap; SET LOCAL lock_timeout = 0");
      return;
    } catch (e) {
      await tx.exec("ROLLBACK TO SAVEPOINT swap");
      if ((e as { code?: string }).code !== "55P03" || attempt >= SWAP_ATTEMPTS) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/**
 * Drops run tables left behind by runs that are no longer running (a process killed between
 * creating its table and its swap, or whose clean-up failed). Never attached ones only; a run still
 * running keeps its table.
 */
export async function dropAbandonedRunTables(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND NOT c.relispartition
        AND c.relname LIKE $1
        AND NOT EXISTS (SELECT 1 FROM "AnalysisRun" r WHERE replace(r.id, '-', '') = substr(c.relname, $2) AND r.status = 'running')`,
    [`${RUN_TABLE_PREFIX.replace(/_/g, "\\_")}%`, RUN_TABLE_PREFIX.length + 1],
  );
  for (const r of rows) await sql.exec(`DROP TABLE IF EXISTS "${r.name}"`);
  return rows.map((r) => r.name);
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
