import { database } from "../db.server";
import { isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { parseExplorerQuery, querySegment, segmentCsvStream, type ExplorerQuery, type SegmentPage } from "./explorer";
import { DEFAULT_SETTINGS, type ReliabilityBin } from "../domain/analytics/index";
import { latestAnalysis, type AnalysisRunView } from "./run";

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
}

/** The segment explorer page: one keyset page of scores for the filter in the URL. */
export async function loadSegments(shop: string, url: URL): Promise<{
  query: ExplorerQuery | null; page: SegmentPage; error: string | null; currencyCode: string; asOf: string | null;
  horizonDays: number; calibration: ScoreCalibration | null;
}> {
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
    if (isAppError(e, "INVALID_INPUT")) return { query: null, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null, horizonDays, calibration };
    throw e;
  }
  try {
    const page = await querySegment(database.sql, shop, query);
    return { query, page, error: null, currencyCode: facts.currencyCode, asOf: latest.completed?.asOf ?? null, horizonDays, calibration };
  } catch (e) {
    if (isAppError(e, "INVALID_INPUT")) return { query, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null, horizonDays, calibration };
    throw e;
  }
}

/** CSV of the whole filtered segment (cursor parameters are ignored: an export is never one page). */
export async function exportSegment(shop: string, url: URL): Promise<{ stream: ReadableStream<Uint8Array>; filename: string }> {
  await database.ready();
  const params = new URLSearchParams(url.searchParams);
  params.delete("after");
  params.delete("before");
  params.delete("limit");
  const query = parseExplorerQuery(params);
  const latest = await latestAnalysis(database.sql, shop);
  const tag = [query.class, query.branch, query.vip && `vip-${query.vip}`, query.overdue && `overdue-${query.overdue}`, query.target && `target-${query.target}`]
    .filter(Boolean).join("-");
  const filename = `winback-customers-${latest.completed?.asOf ?? "none"}${tag ? `-${tag}` : ""}.csv`.replace(/[^A-Za-z0-9._-]/g, "_");
  return { stream: segmentCsvStream(database.sql, shop, query, horizonOf(latest.completed)), filename };
}
