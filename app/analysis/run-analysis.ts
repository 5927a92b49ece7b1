import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import {
  analyze, assertTimeZone, HistoryAccumulator, localDay,
  type AnalysisResult, type CustomerAnalysis, type LapseClass, type ReliabilityBin, type RiskSummary, type Settings, type TimeUnit,
} from "../domain/analytics/index";
import { AppError, isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { loadAnalysisSettings } from "./settings";
import { DAY_MS } from "../domain/analytics/dates";
import { qualifyingOrder } from "../sync/orders-sql";

export interface AnalysisDeps {
  sql: Sql;
  now?: () => Date;
  /** Orders per read (bounded memory for the rows in flight; default 50,000). */
  chunkOrders?: number;
  /** Score rows per INSERT statement (default 5,000). */
  insertRows?: number;
}

export interface HistogramBin {
  from: number;
  /** Exclusive; null for the open-ended last bin. */
  to: number | null;
  count: number;
}

export interface BranchSummary {
  targets: number;
  atRisk: number;
  highRisk: number;
  lost: number;
  overdueActive: number;
  avgChurnRisk: number | null;
  totalSpent: number;
  predictedValue12m: number | null;
}

export interface AnalysisSummary extends RiskSummary {
  version: 1;
  asOf: string;
  timeZone: string;
  currencyCode: string;
  timeUnit: TimeUnit;
  settings: Settings;
  vipThreshold: number | null;
  modelMessage: string | null;
  excluded: { test: number; cancelled: number };
  branches: { vip: BranchSummary; standard: BranchSummary };
  /** Customers by days since last order (bin width `recencyBinDays`), last bin open-ended. */
  recency: HistogramBin[];
  recencyBinDays: number;
  /** Customers by churn risk in tenths: [0, 0.1), ..., [0.9, 1]. */
  churnRisk: HistogramBin[];
}

export interface AnalysisModelSummary {
  timeUnit: TimeUnit;
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; customers: number };
  gammaGamma: { p: number; q: number; v: number; customers: number } | null;
  churnModel: boolean;
  /**
   * The churn combiner: the horizon its probability names, the inner split it was trained on, and the
   * reliability deciles (out-of-fold predictions on that split against what happened) for the Segments
   * page's chart. Absent on runs stored before ADR 082.
   */
  churn?: { horizonDays: number; trainedDays: number; cut: string; trainingCustomers: number; reliability: ReliabilityBin[] } | null;
}

export interface AnalysisRunView {
  id: string;
  asOf: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  customers: number;
  summary: AnalysisSummary | null;
  model: AnalysisModelSummary | null;
  error: string | null;
}

// A run still "running" after this long died with its process (kill -9, deploy): it is marked failed.
const STALE_RUN_MS = 60 * 60_000;
const RECENCY_BIN_DAYS = 15;
const RECENCY_MAX_DAYS = 730;
// Keyset lower bound below every Shopify id (they are positive int64).
const MIN_ID = "-9223372036854775808";

const nowOf = (deps: AnalysisDeps) => deps.now?.() ?? new Date();

/**
 * Recomputes a shop's analysis from the stored orders and replaces its scores.
 *
 * Orders are read in customer-id ranges of about `chunkOrders` rows and fed to the domain's
 * accumulator (typed arrays), so even a million orders never exist as JS row objects at once.
 * The scores and the completed run are written in one transaction: readers see either the old
 * scores with the old run or the new ones with the new run, never a mix or an empty table.
 */
export async function runAnalysis(deps: AnalysisDeps, shop: string, opts: { asOf?: Date } = {}): Promise<{ runId: string; summary: AnalysisSummary; model: AnalysisModelSummary | null; superseded: boolean }> {
  const { sql } = deps;
  const startedAt = nowOf(deps);
  const facts = await shopFacts(sql, shop);
  const cfg = await loadAnalysisSettings(sql, shop);
  const tz = facts.ianaTimezone;
  const asOfDay = safeLocalDay(opts.asOf ?? startedAt, tz);
  const runId = randomUUID();

  await sql.query(
    `UPDATE "AnalysisRun" SET status = 'failed', error = 'Interrupted (the process stopped while analysing)', "finishedAt" = $3
     WHERE shop = $1 AND status = 'running' AND "startedAt" < $2`,
    [shop, new Date(startedAt.getTime() - STALE_RUN_MS), startedAt],
  );
  await sql.query(`INSERT INTO "AnalysisRun" (id, shop, "asOf", status, "startedAt") VALUES ($1, $2, $3, 'running', $4)`, [
    runId, shop, new Date(asOfDay * DAY_MS), startedAt,
  ]);

  try {
    const acc = new HistoryAccumulator(tz);
    const excluded = await streamOrders(sql, shop, tz, acc, deps.chunkOrders ?? 50_000);
    const result = analyze(acc.build(), { asOf: asOfDay, settings: cfg.settings, timeUnit: cfg.timeUnit });
    const summary = buildSummary(result, { tz, currency: facts.currencyCode, timeUnit: cfg.timeUnit, settings: cfg.settings, excluded });
    const model = modelSummary(result);
    const superseded = await sql.transaction(async (tx) => {
      // One writer per shop at a time; the run that started last wins even if it finishes first.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`analysis:${shop}`]);
      const newer = await tx.query(
        `SELECT 1 FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed' AND "startedAt" > $2 LIMIT 1`,
        [shop, startedAt],
      );
      if (newer.length) {
        await tx.query(`UPDATE "AnalysisRun" SET status = 'superseded', "finishedAt" = $2 WHERE id = $1`, [runId, nowOf(deps)]);
        return true;
      }
      // Exactly one completed run per shop: the one the stored scores belong to.
      await tx.query(`UPDATE "AnalysisRun" SET status = 'replaced' WHERE shop = $1 AND status = 'completed'`, [shop]);
      await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [shop]);
      await insertScores(tx, shop, runId, result.rows, deps.insertRows ?? 5_000);
      await tx.query(
        `UPDATE "AnalysisRun" SET status = 'completed', "finishedAt" = $2, customers = $3, summary = $4::jsonb, model = $5::jsonb, error = $6 WHERE id = $1`,
        [runId, nowOf(deps), result.customers, JSON.stringify(summary), model ? JSON.stringify(model) : null, result.modelMessage],
      );
      return false;
    });
    return { runId, summary, model, superseded };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    await sql
      .query(`UPDATE "AnalysisRun" SET status = 'failed', "finishedAt" = $2, error = $3 WHERE id = $1`, [runId, nowOf(deps), msg.slice(0, 2000)])
      .catch(() => undefined);
    throw e;
  }
}

function safeLocalDay(at: Date, tz: string): number {
  try {
    assertTimeZone(tz);
  } catch (e) {
    if (isAppError(e)) throw new AppError("CONFIG", `Shop time zone "${tz}" is unknown`, { cause: e });
    throw e;
  }
  return localDay(at, tz);
}

/**
 * Feeds the shop's qualifying orders to the accumulator. Customers are read in id ranges found
 * with an OFFSET probe on the (shop, customerId) index, so a customer's orders never straddle two
 * reads and no extra index is needed; guest orders (shop totals only) follow by order id.
 */
async function streamOrders(sql: Sql, shop: string, tz: string, acc: HistoryAccumulator, chunk: number): Promise<{ test: number; cancelled: number }> {
  const cols = `(extract(epoch from "processedAt") * 1000)::float8 AS t, "currentTotal"::float8 AS v`;
  const qualifying = qualifyingOrder();
  let after = MIN_ID;
  for (;;) {
    const probe = await sql.query<{ c: string }>(
      `SELECT "customerId"::text AS c FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint ORDER BY "customerId" OFFSET $3 LIMIT 1`,
      [shop, after, chunk - 1],
    );
    const upper = probe[0]?.c ?? null;
    const rows = upper === null
      ? await sql.query<{ c: string; t: number; v: number }>(
          `SELECT "customerId"::text AS c, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint AND ${qualifying}`, [shop, after])
      : await sql.query<{ c: string; t: number; v: number }>(
          `SELECT "customerId"::text AS c, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" > $2::bigint AND "customerId" <= $3::bigint AND ${qualifying}`,
          [shop, after, upper]);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      acc.addDay(r.c, localDay(Number(r.t), tz), Number(r.v));
    }
    if (upper === null) break;
    after = upper;
  }
  let afterOrder = MIN_ID;
  for (;;) {
    const rows = await sql.query<{ id: string; t: number; v: number }>(
      `SELECT id::text AS id, ${cols} FROM "Order" WHERE shop = $1 AND "customerId" IS NULL AND id > $2::bigint AND ${qualifying} ORDER BY id LIMIT $3`,
      [shop, afterOrder, chunk],
    );
    for (const r of rows) acc.addDay(null, localDay(Number(r.t), tz), Number(r.v));
    if (rows.length < chunk) break;
    afterOrder = rows[rows.length - 1]!.id;
  }
  const ex = await sql.query<{ test: number; cancelled: number }>(
    `SELECT count(*) FILTER (WHERE test)::int AS test, count(*) FILTER (WHERE NOT test AND "cancelledAt" IS NOT NULL)::int AS cancelled FROM "Order" WHERE shop = $1`,
    [shop],
  );
  return ex[0] ?? { test: 0, cancelled: 0 };
}

const BRANCH: Record<"vip" | "standard", string> = { vip: "VIP", standard: "Standard" };

async function insertScores(tx: Sql, shop: string, runId: string, rows: CustomerAnalysis[], size: number) {
  for (let s = 0; s < rows.length; s += size) {
    const part = rows.slice(s, s + size);
    const col = <T>(f: (r: CustomerAnalysis) => T) => part.map(f);
    await tx.query(
      `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
         "firstOrderAt", "lastOrderAt", "daysSinceLast", "medianGapDays", "pAlive", "expectedPurchases90", "expectedNextOrderAt", "predictedValue12m",
         "churnRisk", "expectedOrderValue", "pBuy")
       SELECT $1, u.cid, $2, u.cls, u.od, u.vip, u.tg, u.br, u.n, u.pd, u.ts, u.aov, u.f::timestamp, u.l::timestamp, u.dsl, u.mg, u.pa, u.e90,
         u.nx::timestamp, u.v12, u.cr, u.eov, u.pb
       FROM unnest($3::bigint[], $4::text[], $5::boolean[], $6::boolean[], $7::boolean[], $8::text[], $9::int[], $10::int[], $11::float8[], $12::float8[],
         $13::text[], $14::text[], $15::int[], $16::float8[], $17::float8[], $18::float8[], $19::text[], $20::float8[], $21::float8[], $22::float8[],
         $23::float8[])
         AS u(cid, cls, od, vip, tg, br, n, pd, ts, aov, f, l, dsl, mg, pa, e90, nx, v12, cr, eov, pb)`,
      [
        shop, runId,
        col((r) => r.customerId), col((r) => r.lapseClass), col((r) => r.overdue), col((r) => r.vip), col((r) => r.target),
        col((r) => (r.branch ? BRANCH[r.branch] : null)), col((r) => r.orders), col((r) => r.purchaseDays), col((r) => r.totalSpent), col((r) => r.aov),
        col((r) => r.firstOrderDate), col((r) => r.lastOrderDate), col((r) => r.daysSinceLastOrder), col((r) => r.medianGapDays), col((r) => r.pAlive),
        col((r) => r.expectedPurchases90d), col((r) => r.expectedNextOrderDate), col((r) => r.predicted12mValue), col((r) => r.churnRisk),
        col((r) => r.expectedOrderValue), col((r) => r.pBuy),
      ],
    );
  }
}

function emptyBranch(): BranchSummary {
  return { targets: 0, atRisk: 0, highRisk: 0, lost: 0, overdueActive: 0, avgChurnRisk: null, totalSpent: 0, predictedValue12m: null };
}

export function buildSummary(
  r: AnalysisResult,
  ctx: { tz: string; currency: string; timeUnit: TimeUnit; settings: Settings; excluded: { test: number; cancelled: number } },
): AnalysisSummary {
  const branches = { vip: emptyBranch(), standard: emptyBranch() };
  const churnSum = { vip: 0, standard: 0 };
  const recency: HistogramBin[] = [];
  for (let d = 0; d < RECENCY_MAX_DAYS; d += RECENCY_BIN_DAYS) recency.push({ from: d, to: d + RECENCY_BIN_DAYS, count: 0 });
  recency.push({ from: RECENCY_MAX_DAYS, to: null, count: 0 });
  const churn: HistogramBin[] = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: 0 }));
  const classKey: Record<LapseClass, "atRisk" | "highRisk" | "lost" | null> = { active: null, at_risk: "atRisk", high_risk: "highRisk", lost: "lost" };
  for (const row of r.rows) {
    recency[Math.min(recency.length - 1, Math.floor(row.daysSinceLastOrder / RECENCY_BIN_DAYS))]!.count++;
    churn[Math.min(9, Math.max(0, Math.floor(row.churnRisk * 10)))]!.count++;
    if (!row.branch) continue;
    const b = branches[row.branch];
    b.targets++;
    const k = classKey[row.lapseClass];
    if (k) b[k]++;
    else if (row.overdue) b.overdueActive++;
    churnSum[row.branch] += row.churnRisk;
    b.totalSpent += row.totalSpent;
    if (row.predicted12mValue !== null) b.predictedValue12m = (b.predictedValue12m ?? 0) + row.predicted12mValue;
  }
  for (const k of ["vip", "standard"] as const) branches[k].avgChurnRisk = branches[k].targets ? churnSum[k] / branches[k].targets : null;
  const { rows: _rows, model: _model, asOf, vipThreshold, modelMessage, ...risk } = r;
  return {
    version: 1, ...risk, asOf, timeZone: ctx.tz, currencyCode: ctx.currency, timeUnit: ctx.timeUnit, settings: ctx.settings, vipThreshold, modelMessage,
    excluded: ctx.excluded, branches, recency, recencyBinDays: RECENCY_BIN_DAYS, churnRisk: churn,
  };
}

function modelSummary(r: AnalysisResult): AnalysisModelSummary | null {
  const m = r.model;
  if (!m) return null;
  const b = m.bgnbd, g = m.gammaGamma;
  return {
    timeUnit: m.timeUnit,
    bgnbd: { r: b.r, alpha: b.alpha, a: b.a, b: b.b, logLikelihood: b.logLikelihood, customers: b.customers },
    gammaGamma: g ? { p: g.p, q: g.q, v: g.v, customers: g.customers } : null,
    churnModel: m.churn !== null,
    churn: m.churn ? {
      horizonDays: m.churn.horizonDays, trainedDays: m.churn.trainedDays, cut: m.churn.cut,
      trainingCustomers: m.churn.trainingCustomers, reliability: m.churn.reliability,
    } : null,
  };
}

interface RunRow {
  id: string; asOf: Date; status: string; startedAt: Date; finishedAt: Date | null; customers: number;
  summary: AnalysisSummary | null; model: AnalysisModelSummary | null; error: string | null;
}

const view = (r: RunRow): AnalysisRunView => ({
  id: r.id, asOf: new Date(r.asOf).toISOString().slice(0, 10), status: r.status, startedAt: new Date(r.startedAt).toISOString(),
  finishedAt: r.finishedAt ? new Date(r.finishedAt).toISOString() : null, customers: r.customers, summary: r.summary, model: r.model, error: r.error,
});

/**
 * The shop's latest completed analysis (what the scores belong to), plus the newest run if it is
 * still running or failed after it (the dashboard says "recomputing" or shows the error).
 */
export async function latestAnalysis(sql: Sql, shop: string): Promise<{ completed: AnalysisRunView | null; pending: AnalysisRunView | null; failed: AnalysisRunView | null }> {
  const cols = `id, "asOf", status, "startedAt", "finishedAt", customers, summary, model, error`;
  const done = await sql.query<RunRow>(
    `SELECT ${cols} FROM "AnalysisRun" WHERE shop = $1 AND status = 'completed' ORDER BY "finishedAt" DESC NULLS LAST, "startedAt" DESC LIMIT 1`, [shop]);
  const completed = done[0] ? view(done[0]) : null;
  const newest = await sql.query<RunRow>(
    `SELECT ${cols} FROM "AnalysisRun" WHERE shop = $1 AND status IN ('running', 'failed') AND ($2::timestamp IS NULL OR "startedAt" >= $2::timestamp)
     ORDER BY "startedAt" DESC, "finishedAt" DESC NULLS FIRST LIMIT 1`,
    [shop, done[0]?.startedAt ?? null],
  );
  const n = newest[0] ? view(newest[0]) : null;
  return { completed, pending: n?.status === "running" ? n : null, failed: n?.status === "failed" ? n : null };
}
