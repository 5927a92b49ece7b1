import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import { assertTimeZone, localDay } from "../domain/analytics/index";
import { AppError, isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { loadAnalysisSettings } from "./settings";
import { DAY_MS } from "../domain/analytics/dates";
import { excludedOrderCounts, purchaseColumnBatches } from "../sync/store/purchases";
import { failAnalysisRun, latestRuns, startAnalysisRun, storeCompletedRun, type AnalysisRunRow } from "./store";
import { feedSignals } from "./signals";
import { startComputation, type Computation, type ComputationOptions } from "./worker-client";
import type { AnalysisModelSummary, AnalysisSummary } from "./worker-compute";

export { buildSummary, type AnalysisModelSummary, type AnalysisSummary, type BranchSummary, type HistogramBin } from "./worker-compute";

export interface AnalysisDeps {
  sql: Sql;
  now?: () => Date;
  /** Orders per read of the sync's purchase batches (bounded memory for the rows in flight; default 50,000). */
  chunkOrders?: number;
  /** Score rows per COPY batch of the write (default SLICE_ROWS; one batch's text is in memory at a time). */
  insertRows?: number;
  /** Told how long each phase of a run took (bench/analysis-job.ts prints it). */
  onPhases?: (phases: AnalysisPhases) => void;
  /** Where the computation runs (default: a worker thread, ADR 096); tests pass `{ inThread: true }` or a worker URL. */
  compute?: ComputationOptions;
}

/** Milliseconds per phase of one run. */
export interface AnalysisPhases {
  /** Reading the orders (wall time of the read loop, the worker's history building overlapping it). */
  readMs: number;
  batches: number;
  /** Building the per-customer histories from the batches (the computation's thread, CPU). */
  buildMs: number;
  /** Fitting the models (BG/NBD, Gamma-Gamma, churn combiner), wall time until the fit answered. */
  fitMs: number;
  /** Scoring every customer and rendering the rows as COPY text (the computation's thread, CPU). */
  scoreMs: number;
  /** Writing the scores and completing the run (wall time from the first slice to the swap's commit; scoring overlaps it). */
  writeMs: number;
  /** Of the write: COPY into the run's own table (ADR 106), scoring and rendering overlapping it. */
  loadMs: number;
  /** Of the write: building the run table's indexes, statistics and row-level security. */
  indexMs: number;
  /** Of the write: the swap transaction, the part that readers wait on or that holds the shop's lock. */
  swapMs: number;
  /** True when the computation ran on a worker thread (false: in-thread fallback). */
  worker: boolean;
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

// Rows per scored slice. Small enough that a slice's row objects and text die young on both threads:
// at 20,000 rows each slice (about 5 MB of text, 20,000 objects) outlived a scavenge, was promoted,
// and the old generation piled up garbage until a major GC, so the write held the job's peak RSS
// (200k customers: 491-575 MB writing, 358 MB fitting); at 2,000 the write peaks at 386 MB, below
// the fit. The price is one COPY statement per slice (500 at 1M customers, ADR 106).
const SLICE_ROWS = 2_000;

// A run still "running" after this long died with its process (kill -9, deploy): it is marked failed.
const STALE_RUN_MS = 60 * 60_000;

const nowOf = (deps: AnalysisDeps) => deps.now?.() ?? new Date();

/**
 * Recomputes a shop's analysis from the stored orders and replaces its scores.
 *
 * This thread only moves data (docs/decisions/096-analysis-off-the-event-loop.md): it reads the
 * orders in customer-id ranges of about `chunkOrders` rows as packed columns (no JS object per
 * order, ADR 088) and hands each batch to the computation, which builds the histories, fits and
 * scores on a worker thread; the rows come back as COPY text a slice at a time and are written into
 * the run's own table, swapped in for the shop's old scores in one short transaction (ADR 106):
 * readers see either the old scores with the old run or the new ones with the new run, never a mix
 * or an empty table.
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

  let computation: Computation | null = null;
  try {
    computation = await startComputation(
      { shop, runId, timeZone: tz, currency: facts.currencyCode, asOfDay, settings: cfg.settings, timeUnit: cfg.timeUnit },
      deps.compute,
    );
    const comp = computation;
    const phases: AnalysisPhases = {
      readMs: 0,
      batches: 0,
      buildMs: 0,
      fitMs: 0,
      scoreMs: 0,
      writeMs: 0,
      loadMs: 0,
      indexMs: 0,
      swapMs: 0,
      worker: !comp.inThread,
    };
    let t = performance.now();
    // One batch is read while the worker adds the previous one (at most one in flight).
    let adding: Promise<void> = Promise.resolve();
    for await (const batch of purchaseColumnBatches(sql, shop, deps.chunkOrders ?? 50_000)) {
      phases.batches++;
      await adding;
      adding = comp.add(batch);
      // In-thread, the add ran synchronously: let other work (webhooks, PGlite's queries) in between batches.
      if (comp.inThread) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await adding;
    // Discount use, refunds and email clicks: features of the churn score where the shop has them (ADR 110).
    await feedSignals(sql, shop, comp);
    const excluded = await excludedOrderCounts(sql, shop);
    phases.readMs = performance.now() - t;
    t = performance.now();
    const fitted = await comp.fit(excluded);
    phases.fitMs = performance.now() - t;
    phases.buildMs = fitted.buildMs;
    const model = fitted.model;
    let summary: AnalysisSummary | null = null;
    t = performance.now();
    const superseded = await storeCompletedRun(sql, {
      id: runId,
      shop,
      startedAt,
      now: () => nowOf(deps),
      rowTexts: scoreTexts(comp, deps.insertRows ?? SLICE_ROWS, phases),
      completion: async () => {
        summary = await comp.summary();
        return { customers: fitted.customers, summary, model, message: fitted.message };
      },
      onTimes: (w) => {
        phases.loadMs = w.loadMs;
        phases.indexMs = w.indexMs;
        phases.swapMs = w.swapMs;
      },
    });
    phases.writeMs = performance.now() - t;
    if (!summary) {
      // Superseded before the write began: nothing was written, but the caller still gets this run's figures.
      for await (const _ of scoreTexts(comp, deps.insertRows ?? SLICE_ROWS, phases));
      summary = await comp.summary();
    }
    deps.onPhases?.(phases);
    return { runId, summary: summary as AnalysisSummary, model, superseded };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    await failAnalysisRun(sql, runId, nowOf(deps), msg).catch(() => undefined);
    throw e;
  } finally {
    await computation?.close();
  }
}

/** The rows as COPY text, `size` rows a slice; the next slice is scored while this one is written. */
async function* scoreTexts(comp: Computation, size: number, phases: AnalysisPhases): AsyncGenerator<string> {
  let next = comp.rows(size);
  for (;;) {
    const slice = await next;
    phases.scoreMs += slice.scoreMs + slice.renderMs;
    if (slice.text === null) return;
    next = comp.rows(size);
    // A slice not taken (the write failed) must not reject unhandled.
    next.catch(() => undefined);
    yield slice.text;
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
