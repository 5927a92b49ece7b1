import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import {
  analyze,
  assertTimeZone,
  localDay,
  OrderedHistoryBuilder,
  type AnalysisResult,
  type LapseClass,
  type PurchaseHistories,
  type ReliabilityBin,
  type RiskSummary,
  type Settings,
  type TimeUnit,
} from "../domain/analytics/index";
import { AppError, isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { loadAnalysisSettings } from "./settings";
import { DAY_MS } from "../domain/analytics/dates";
import { excludedOrderCounts, purchaseColumnBatches } from "../sync/store/purchases";
import { failAnalysisRun, latestRuns, startAnalysisRun, storeCompletedRun, type AnalysisRunRow } from "./store";

export interface AnalysisDeps {
  sql: Sql;
  now?: () => Date;
  /** Orders per read of the sync's purchase batches (bounded memory for the rows in flight; default 50,000). */
  chunkOrders?: number;
  /** Score rows per COPY batch of the write (default 20,000; one batch's text is in memory at a time). */
  insertRows?: number;
  /** Told how long each phase of a run took (bench/analysis-job.ts prints it). */
  onPhases?: (phases: AnalysisPhases) => void;
}

/** Milliseconds per phase of one run. */
export interface AnalysisPhases {
  /** Reading the orders into the per-customer histories. */
  readMs: number;
  batches: number;
  /** Fitting the models (BG/NBD, Gamma-Gamma, churn combiner). */
  fitMs: number;
  /** Scoring every customer and the summary. */
  scoreMs: number;
  /** Writing the scores and completing the run, swap included. */
  writeMs: number;
  /** The part of the write that readers wait on or that holds the shop's lock. */
  swapMs: number;
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

const nowOf = (deps: AnalysisDeps) => deps.now?.() ?? new Date();

/**
 * Recomputes a shop's analysis from the stored orders and replaces its scores.
 *
 * Orders are read in customer-id ranges of about `chunkOrders` rows as packed columns into the
 * domain's ordered history builder (typed arrays): no JS object per order ever exists (ADR 088).
 * The scores and the completed run are written in one transaction: readers see either the old
 * scores with the old run or the new ones with the new run, never a mix or an empty table.
 */
export async function runAnalysis(
  deps: AnalysisDeps,
  shop: string,
  opts: { asOf?: Date } = {},
): Promise<{ runId: string; summary: AnalysisSummary; model: AnalysisModelSummary | null; superseded: boolean }> {
  const { sql } = deps;
  const startedAt = nowOf(deps);
  const facts = await shopFacts(sql, shop);
  const cfg = await loadAnalysisSettings(sql, shop);
  const tz = facts.ianaTimezone;
  const asOfDay = safeLocalDay(opts.asOf ?? startedAt, tz);
  const runId = randomUUID();

  await startAnalysisRun(sql, {
    id: runId,
    shop,
    asOf: new Date(asOfDay * DAY_MS),
    startedAt,
    staleBefore: new Date(startedAt.getTime() - STALE_RUN_MS),
  });

  try {
    const phases: AnalysisPhases = { readMs: 0, batches: 0, fitMs: 0, scoreMs: 0, writeMs: 0, swapMs: 0 };
    let t = performance.now();
    const histories = await readHistories(sql, shop, tz, deps.chunkOrders ?? 50_000, phases);
    const excluded = histories.excluded;
    phases.readMs = performance.now() - t;
    t = performance.now();
    const result = analyze(histories, {
      asOf: asOfDay,
      settings: cfg.settings,
      timeUnit: cfg.timeUnit,
      onFitted: () => {
        phases.fitMs = performance.now() - t;
        t = performance.now();
      },
    });
    const summary = buildSummary(result, { tz, currency: facts.currencyCode, timeUnit: cfg.timeUnit, settings: cfg.settings, excluded });
    const model = modelSummary(result);
    phases.scoreMs = performance.now() - t;
    t = performance.now();
    const superseded = await storeCompletedRun(sql, {
      id: runId,
      shop,
      startedAt,
      now: () => nowOf(deps),
      rows: result.rows,
      insertRows: deps.insertRows ?? 20_000,
      customers: result.customers,
      summary,
      model,
      message: result.modelMessage,
    });
    phases.writeMs = performance.now() - t;
    // The whole write runs inside the one replacing transaction (the shop's lock held, readers on the old rows).
    phases.swapMs = phases.writeMs;
    deps.onPhases?.(phases);
    return { runId, summary, model, superseded };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    await failAnalysisRun(sql, runId, nowOf(deps), msg).catch(() => undefined);
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
 * Reads the shop's qualifying orders into per-customer histories, in the bounded column batches of
 * the sync's read API (customers in id order, each one's orders oldest first and never split over
 * two batches; guest orders count for shop totals only). Between batches the event loop and, on
 * PGlite, the one connection are free for a moment, so order webhooks interleave with a long read.
 */
async function readHistories(sql: Sql, shop: string, tz: string, chunk: number, phases: AnalysisPhases): Promise<PurchaseHistories> {
  const builder = new OrderedHistoryBuilder(tz);
  for await (const batch of purchaseColumnBatches(sql, shop, chunk)) {
    phases.batches++;
    const { customerIds, starts, at, value } = batch;
    if (!customerIds.length) for (let i = 0; i < at.length; i++) builder.guest(at[i]!, value[i]!);
    for (let c = 0; c < customerIds.length; c++) {
      builder.customer(customerIds[c]!);
      for (let i = starts[c]!; i < starts[c + 1]!; i++) builder.order(at[i]!, value[i]!);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return builder.build(await excludedOrderCounts(sql, shop));
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
  const classKey: Record<LapseClass, "atRisk" | "highRisk" | "lost" | null> = {
    active: null,
    at_risk: "atRisk",
    high_risk: "highRisk",
    lost: "lost",
  };
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
    version: 1,
    ...risk,
    asOf,
    timeZone: ctx.tz,
    currencyCode: ctx.currency,
    timeUnit: ctx.timeUnit,
    settings: ctx.settings,
    vipThreshold,
    modelMessage,
    excluded: ctx.excluded,
    branches,
    recency,
    recencyBinDays: RECENCY_BIN_DAYS,
    churnRisk: churn,
  };
}

function modelSummary(r: AnalysisResult): AnalysisModelSummary | null {
  const m = r.model;
  if (!m) return null;
  const b = m.bgnbd,
    g = m.gammaGamma;
  return {
    timeUnit: m.timeUnit,
    bgnbd: { r: b.r, alpha: b.alpha, a: b.a, b: b.b, logLikelihood: b.logLikelihood, customers: b.customers },
    gammaGamma: g ? { p: g.p, q: g.q, v: g.v, customers: g.customers } : null,
    churnModel: m.churn !== null,
    churn: m.churn
      ? {
          horizonDays: m.churn.horizonDays,
          trainedDays: m.churn.trainedDays,
          cut: m.churn.cut,
          trainingCustomers: m.churn.trainingCustomers,
          reliability: m.churn.reliability,
        }
      : null,
  };
}

const view = (r: AnalysisRunRow): AnalysisRunView => ({
  id: r.id,
  asOf: new Date(r.asOf).toISOString().slice(0, 10),
  status: r.status,
  startedAt: new Date(r.startedAt).toISOString(),
  finishedAt: r.finishedAt ? new Date(r.finishedAt).toISOString() : null,
  customers: r.customers,
  // The JSON this module wrote (storeCompletedRun).
  summary: r.summary as AnalysisSummary | null,
  model: r.model as AnalysisModelSummary | null,
  error: r.error,
});

/**
 * The shop's latest completed analysis (what the scores belong to), plus the newest run if it is
 * still running or failed after it (the dashboard says "recomputing" or shows the error).
 */
export async function latestAnalysis(
  sql: Sql,
  shop: string,
): Promise<{ completed: AnalysisRunView | null; pending: AnalysisRunView | null; failed: AnalysisRunView | null }> {
  const runs = await latestRuns(sql, shop);
  const completed = runs.completed ? view(runs.completed) : null;
  const n = runs.newest ? view(runs.newest) : null;
  return { completed, pending: n?.status === "running" ? n : null, failed: n?.status === "failed" ? n : null };
}
