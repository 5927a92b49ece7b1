import type { Sql } from "../db/sql";
import type { OrderChanged } from "../jobs/feature";
import { shopFacts, shopInstalled as installed } from "../shop-settings.server";
import { runAnalysis, type AnalysisDeps, type AnalysisPhases } from "./run-analysis";
import { requestAnalysis, scheduleDaily, type QueueLike } from "./schedule";

/** What the analysis jobs need; tests pass a PGlite `sql`, a recording queue and a fixed clock. */
export interface AnalysisJobDeps {
  sql: Sql;
  queue: QueueLike;
  now?: () => Date;
  /** Told the phases of each run (bench/analysis-job.ts). */
  onPhases?: (phases: AnalysisPhases) => void;
  /** Where the computation runs (default: a worker thread; bench/analysis-job.ts compares in-thread). */
  compute?: AnalysisDeps["compute"];
}

const nowOf = (d: AnalysisJobDeps) => d.now?.() ?? new Date();

export async function runAnalysisJob(deps: AnalysisJobDeps, shop: string) {
  // An uninstalled shop keeps its data until shop/redact but needs no fresh scores.
  if (!(await installed(deps.sql, shop))) return null;
  return runAnalysis({ sql: deps.sql, now: deps.now, onPhases: deps.onPhases, compute: deps.compute }, shop);
}

export async function ensureDaily(deps: AnalysisJobDeps, shop: string) {
  const { ianaTimezone } = await shopFacts(deps.sql, shop);
  return scheduleDaily(deps.queue, shop, ianaTimezone, nowOf(deps));
}

/** Tomorrow's job is queued before today's run, so a failing run cannot break the daily chain. */
export async function runDailyJob(deps: AnalysisJobDeps, shop: string) {
  if (!(await installed(deps.sql, shop))) return null;
  await ensureDaily(deps, shop);
  return runAnalysis({ sql: deps.sql, now: deps.now, onPhases: deps.onPhases, compute: deps.compute }, shop);
}

export async function onSyncCompleted(deps: AnalysisJobDeps, shop: string) {
  await requestAnalysis(deps.queue, shop, "sync", nowOf(deps));
  await ensureDaily(deps, shop);
}

export async function onOrderChanged(deps: AnalysisJobDeps, event: OrderChanged) {
  await requestAnalysis(deps.queue, event.shop, "orders", nowOf(deps));
}

export async function onSettingsSaved(deps: AnalysisJobDeps, shop: string) {
  return requestAnalysis(deps.queue, shop, "settings", nowOf(deps));
}
