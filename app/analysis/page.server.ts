import type { AppContext } from "../jobs/feature";
import { isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { parseExplorerQuery, querySegment, segmentCsvStream, type ExplorerQuery, type SegmentPage } from "./explore-segments";
import { DEFAULT_SETTINGS, type ReliabilityBin } from "../domain/analytics/index";
import { latestAnalysis, type AnalysisRunView } from "./run-analysis";
import { onSettingsSaved } from "./jobs";
import { loadAnalysisSettings, parseSettingsForm, saveAnalysisSettings, type AnalysisSettings, type FieldErrors } from "./settings";

/**
 * Loaders and actions of the analysis routes (segments, the export, settings) and the home page's
 * risk dashboard; the database and queue come from the composition root's context.
 */
type PageContext = Pick<AppContext, "db">;

/** The horizon the latest run's buy probability names (runs before ADR 082 stored it only in their settings). */
function horizonOf(run: AnalysisRunView | null | undefined): number {
  return run?.model?.churn?.horizonDays ?? run?.summary?.settings.prediction.horizonDays ?? DEFAULT_SETTINGS.prediction.horizonDays;
}

export interface ScoreCalibration {
  horizonDays: number;
  trainedDays: number;
  cut: string;
  trainingCustomers: number;
  reliability: ReliabilityBin[];
  /** Signals beyond purchase history the score used (ADR 110); absent on runs stored before it. */
  signals?: string[];
}

/** The segment explorer page: one keyset page of scores for the filter in the URL. */
export async function loadSegments(
  ctx: PageContext,
  shop: string,
  url: URL,
): Promise<{
  query: ExplorerQuery | null;
  page: SegmentPage;
  error: string | null;
  currencyCode: string;
  asOf: string | null;
  horizonDays: number;
  calibration: ScoreCalibration | null;
}> {
  const database = ctx.db;
  await database.ready();
  const facts = await shopFacts(database.sql, shop);
  const latest = await latestAnalysis(database.sql, shop);
  const horizonDays = horizonOf(latest.completed);
  const calibration = latest.completed?.model?.churn ?? null;
  const empty: SegmentPage = { rows: [], total: 0, next: null, prev: null };
  let query: ExplorerQuery;
  try {
    query = parseExplorerQuery(url.searchParams);
  } catch (e) {
    if (isAppError(e, "INVALID_INPUT"))
      return { query: null, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null, horizonDays, calibration };
    throw e;
  }
  try {
    const page = await querySegment(database.sql, shop, query, latest.completed?.id);
    return { query, page, error: null, currencyCode: facts.currencyCode, asOf: latest.completed?.asOf ?? null, horizonDays, calibration };
  } catch (e) {
    if (isAppError(e, "INVALID_INPUT"))
      return { query, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null, horizonDays, calibration };
    throw e;
  }
}

/** CSV of the whole filtered segment (cursor parameters are ignored: an export is never one page). */
export async function exportSegment(
  ctx: PageContext,
  shop: string,
  url: URL,
): Promise<{ stream: ReadableStream<Uint8Array>; filename: string }> {
  const database = ctx.db;
  await database.ready();
  const params = new URLSearchParams(url.searchParams);
  params.delete("after");
  params.delete("before");
  params.delete("limit");
  const query = parseExplorerQuery(params);
  const latest = await latestAnalysis(database.sql, shop);
  const tag = [
    query.class,
    query.branch,
    query.vip && `vip-${query.vip}`,
    query.overdue && `overdue-${query.overdue}`,
    query.target && `target-${query.target}`,
  ]
    .filter(Boolean)
    .join("-");
  const filename = `winback-customers-${latest.completed?.asOf ?? "none"}${tag ? `-${tag}` : ""}.csv`.replace(/[^A-Za-z0-9._-]/g, "_");
  return { stream: segmentCsvStream(database.sql, shop, query, horizonOf(latest.completed)), filename };
}

/** The home page's risk dashboard: the latest completed analysis, plus a running or failed newer run. */
export async function loadRiskDashboard(ctx: PageContext, shop: string) {
  await ctx.db.ready();
  return latestAnalysis(ctx.db.sql, shop);
}

export async function loadSettingsPage(ctx: PageContext, shop: string): Promise<{ value: AnalysisSettings; currencyCode: string }> {
  await ctx.db.ready();
  const [value, facts] = await Promise.all([loadAnalysisSettings(ctx.db.sql, shop), shopFacts(ctx.db.sql, shop)]);
  return { value, currencyCode: facts.currencyCode };
}

/** Validates the form, stores the section and enqueues a recompute; invalid input changes nothing. */
export async function saveSettingsForm(
  ctx: Pick<AppContext, "db" | "queue">,
  shop: string,
  form: FormData,
): Promise<{ ok: true; value: AnalysisSettings; recomputeAt: string } | { ok: false; errors: FieldErrors }> {
  const parsed = parseSettingsForm(form);
  if (!parsed.ok) return parsed;
  await ctx.db.ready();
  await saveAnalysisSettings(ctx.db.sql, shop, parsed.value);
  const { runAt } = await onSettingsSaved({ sql: ctx.db.sql, queue: ctx.queue }, shop);
  return { ok: true, value: parsed.value, recomputeAt: runAt.toISOString() };
}
