import { copyText } from "../db/sql";
import {
  analyzeInSteps,
  OrderedHistoryBuilder,
  SIGNAL_KINDS,
  SignalsBuilder,
  type AnalysisResult,
  type AnalysisSteps,
  type CustomerAnalysis,
  type LapseClass,
  type ReliabilityBin,
  type RiskSummary,
  type Settings,
  type SignalEvents,
  type SignalKind,
  type TimeUnit,
} from "../domain/analytics/index";
import { AppError, type ErrorCode } from "../lib/errors";

/*
 * The analysis's computation, as one session that a worker thread runs (app/analysis/worker.ts,
 * docs/decisions/096-analysis-off-the-event-loop.md) or, when no worker can start, the job's own
 * thread (app/analysis/worker-client.ts): orders in, the models fitted, then the score rows out as
 * COPY text a slice at a time, and the run's summary last. No database access here: the job's
 * thread reads the orders and writes what this renders.
 */

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
  churn?: {
    horizonDays: number;
    trainedDays: number;
    cut: string;
    trainingCustomers: number;
    reliability: ReliabilityBin[];
    /** Signals beyond purchase history the combiner used (ADR 110); absent on runs stored before it. */
    signals?: SignalKind[];
  } | null;
}

const RECENCY_BIN_DAYS = 15;
const RECENCY_MAX_DAYS = 730;

interface SummaryContext {
  tz: string;
  currency: string;
  timeUnit: TimeUnit;
  settings: Settings;
  excluded: { test: number; cancelled: number };
}

function emptyBranch(): BranchSummary {
  return { targets: 0, atRisk: 0, highRisk: 0, lost: 0, overdueActive: 0, avgChurnRisk: null, totalSpent: 0, predictedValue12m: null };
}

const CLASS_KEY: Record<LapseClass, "atRisk" | "highRisk" | "lost" | null> = {
  active: null,
  at_risk: "atRisk",
  high_risk: "highRisk",
  lost: "lost",
};

/** The run's summary, built from the rows as they are scored (slice by slice, in row order: the same sums as one pass). */
export class SummaryBuilder {
  private branches = { vip: emptyBranch(), standard: emptyBranch() };
  private churnSum = { vip: 0, standard: 0 };
  private recency: HistogramBin[] = [];
  private churn: HistogramBin[] = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: 0 }));

  constructor() {
    for (let d = 0; d < RECENCY_MAX_DAYS; d += RECENCY_BIN_DAYS) this.recency.push({ from: d, to: d + RECENCY_BIN_DAYS, count: 0 });
    this.recency.push({ from: RECENCY_MAX_DAYS, to: null, count: 0 });
  }

  add(rows: CustomerAnalysis[]): void {
    const recency = this.recency;
    for (const row of rows) {
      recency[Math.min(recency.length - 1, Math.floor(row.daysSinceLastOrder / RECENCY_BIN_DAYS))]!.count++;
      this.churn[Math.min(9, Math.max(0, Math.floor(row.churnRisk * 10)))]!.count++;
      if (!row.branch) continue;
      const b = this.branches[row.branch];
      b.targets++;
      const k = CLASS_KEY[row.lapseClass];
      if (k) b[k]++;
      else if (row.overdue) b.overdueActive++;
      this.churnSum[row.branch] += row.churnRisk;
      b.totalSpent += row.totalSpent;
      if (row.predicted12mValue !== null) b.predictedValue12m = (b.predictedValue12m ?? 0) + row.predicted12mValue;
    }
  }

  build(r: Omit<AnalysisResult, "rows">, ctx: SummaryContext): AnalysisSummary {
    const branches = this.branches;
    for (const k of ["vip", "standard"] as const)
      branches[k].avgChurnRisk = branches[k].targets ? this.churnSum[k] / branches[k].targets : null;
    const { model: _model, asOf, vipThreshold, modelMessage, ...risk } = r;
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
      recency: this.recency,
      recencyBinDays: RECENCY_BIN_DAYS,
      churnRisk: this.churn,
    };
  }
}

/** The summary of a whole result at once (the same figures SummaryBuilder gives slice by slice). */
export function buildSummary(r: AnalysisResult, ctx: SummaryContext): AnalysisSummary {
  const b = new SummaryBuilder();
  b.add(r.rows);
  const { rows: _rows, ...rest } = r;
  return b.build(rest, ctx);
}

export function modelSummary(r: Pick<AnalysisResult, "model">): AnalysisModelSummary | null {
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
          signals: m.churn.signals,
        }
      : null,
  };
}

const BRANCH: Record<"vip" | "standard", string> = { vip: "VIP", standard: "Standard" };

/**
 * Score rows as COPY text, columns in `SCORE_COPY_COLUMNS` order (app/analysis/store.ts). Floats as
 * JavaScript prints them (the shortest text that reads back as the same double), dates as
 * YYYY-MM-DD (midnight of that calendar date).
 */
export function renderScoreRows(shop: string, runId: string, rows: CustomerAnalysis[]): string {
  const shopText = copyText(shop),
    runText = copyText(runId);
  const num = (v: number | null) => (v === null ? "\\N" : String(v));
  const lines: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    lines[i] =
      `${shopText}\t${r.customerId}\t${runText}\t${r.lapseClass}\t${r.overdue ? "t" : "f"}\t${r.vip ? "t" : "f"}\t${r.target ? "t" : "f"}\t${r.branch ? BRANCH[r.branch] : "\\N"}\t${r.orders}\t${r.purchaseDays}\t${r.totalSpent}\t${r.aov}\t${r.firstOrderDate}\t${r.lastOrderDate}\t${r.daysSinceLastOrder}\t${num(r.medianGapDays)}\t${num(r.pAlive)}\t${num(r.expectedPurchases90d)}\t${r.expectedNextOrderDate ?? "\\N"}\t${num(r.predicted12mValue)}\t${r.churnRisk}\t${num(r.expectedOrderValue)}\t${num(r.pBuy)}\n`;
  }
  return lines.join("");
}

/** A request to the worker thread (worker.ts), answered in order by a WorkerReply with its id. */
export type WorkerRequest =
  | { id: number; op: "start"; arg: ComputeStart }
  | { id: number; op: "add"; arg: ColumnBatch }
  | { id: number; op: "signals"; arg: SignalBatch }
  | { id: number; op: "fit"; arg: { test: number; cancelled: number } }
  | { id: number; op: "rows"; arg: number }
  | { id: number; op: "summary"; arg: null };

export type WorkerReply =
  | { ready: true; id?: undefined }
  | { id: number; result: unknown; error?: undefined }
  | { id: number; error: { message: string; code: ErrorCode | null } };

/** What a session needs to know before the orders arrive. */
export interface ComputeStart {
  shop: string;
  runId: string;
  timeZone: string;
  currency: string;
  /** The analysis date, a local day number. */
  asOfDay: number;
  settings: Settings;
  timeUnit: TimeUnit;
}

/** One read batch of the sync's purchaseColumnBatches (customer ids empty: guest orders). */
export interface ColumnBatch {
  customerIds: string[];
  starts: Int32Array;
  at: Float64Array;
  value: Float64Array;
}

/** Events beyond purchase history for the churn score (ADR 110), in any order, before the fit. */
export type SignalBatch = SignalEvents;

export interface Fitted {
  customers: number;
  model: AnalysisModelSummary | null;
  message: string | null;
  /** CPU of this session's thread for building the histories from the batches, and for the fit. */
  buildMs: number;
  fitMs: number;
}

export interface RowsSlice {
  /** COPY text of the next rows; null once every row was handed out. */
  text: string | null;
  rows: number;
  scoreMs: number;
  renderMs: number;
}

/**
 * One analysis run's computation: `add` every batch (customers in order, each one's orders oldest
 * first, as purchaseColumnBatches reads them), `fit`, then `rows` until it returns null, then
 * `summary`. Calls out of that order throw.
 */
export class AnalysisSession {
  private builder: OrderedHistoryBuilder | null;
  private steps: AnalysisSteps | null = null;
  private summaryBuilder = new SummaryBuilder();
  private excluded: { test: number; cancelled: number } | null = null;
  private buildMs = 0;
  private signals: SignalsBuilder;

  constructor(private readonly start: ComputeStart) {
    this.builder = new OrderedHistoryBuilder(start.timeZone);
    this.signals = new SignalsBuilder(start.timeZone);
  }

  addSignals(batch: SignalBatch): void {
    if (!this.builder) throw new AppError("INTERNAL", "analysis session: signals added after the fit");
    const { customerIds, kinds, at } = batch;
    for (let k = 0; k < customerIds.length; k++) {
      const kind = SIGNAL_KINDS[kinds[k]!];
      if (!kind) throw new AppError("INVALID_INPUT", `Unknown signal kind ${kinds[k]}`);
      this.signals.add(customerIds[k]!, kind, at[k]!);
    }
  }

  add(batch: ColumnBatch): void {
    const builder = this.builder;
    if (!builder) throw new AppError("INTERNAL", "analysis session: orders added after the fit");
    const t = performance.now();
    const { customerIds, starts, at, value } = batch;
    if (!customerIds.length) for (let i = 0; i < at.length; i++) builder.guest(at[i]!, value[i]!);
    for (let c = 0; c < customerIds.length; c++) {
      builder.customer(customerIds[c]!);
      for (let i = starts[c]!; i < starts[c + 1]!; i++) builder.order(at[i]!, value[i]!);
    }
    this.buildMs += performance.now() - t;
  }

  fit(excluded: { test: number; cancelled: number }): Fitted {
    this.excluded = excluded;
    const histories = this.histories(excluded);
    const t = performance.now();
    const signals = this.signals.size ? this.signals.build(histories.customerIds) : undefined;
    const steps = analyzeInSteps(histories, {
      asOf: this.start.asOfDay,
      settings: this.start.settings,
      timeUnit: this.start.timeUnit,
      signals,
    });
    this.steps = steps;
    return {
      customers: steps.customers,
      model: modelSummary(steps),
      message: steps.modelMessage,
      buildMs: this.buildMs,
      fitMs: performance.now() - t,
    };
  }

  /** The histories, trimmed; the builder (arrays grown by doubling, up to twice the size) is released first. */
  private histories(excluded: { test: number; cancelled: number }) {
    const builder = this.builder;
    if (!builder) throw new AppError("INTERNAL", "analysis session: fitted twice");
    this.builder = null;
    const t = performance.now();
    const h = builder.build(excluded);
    this.buildMs += performance.now() - t;
    return h;
  }

  rows(limit: number): RowsSlice {
    const steps = this.steps;
    if (!steps) throw new AppError("INTERNAL", "analysis session: rows asked for before the fit");
    let t = performance.now();
    const rows = steps.next(limit);
    const scoreMs = performance.now() - t;
    if (!rows.length) return { text: null, rows: 0, scoreMs, renderMs: 0 };
    this.summaryBuilder.add(rows);
    t = performance.now();
    const text = renderScoreRows(this.start.shop, this.start.runId, rows);
    return { text, rows: rows.length, scoreMs, renderMs: performance.now() - t };
  }

  summary(): AnalysisSummary {
    const steps = this.steps;
    if (!steps || !this.excluded) throw new AppError("INTERNAL", "analysis session: summary asked for before the fit");
    const s = this.start;
    return this.summaryBuilder.build(steps.summary(), {
      tz: s.timeZone,
      currency: s.currency,
      timeUnit: s.timeUnit,
      settings: s.settings,
      excluded: this.excluded,
    });
  }
}
