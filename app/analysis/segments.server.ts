import { database } from "../db.server";
import { isAppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { parseExplorerQuery, querySegment, segmentCsvStream, type ExplorerQuery, type SegmentPage } from "./explorer";
import { latestAnalysis } from "./run";

/** The segment explorer page: one keyset page of scores for the filter in the URL. */
export async function loadSegments(shop: string, url: URL): Promise<{ query: ExplorerQuery | null; page: SegmentPage; error: string | null; currencyCode: string; asOf: string | null }> {
  await database.ready();
  const facts = await shopFacts(database.sql, shop);
  const latest = await latestAnalysis(database.sql, shop);
  const empty: SegmentPage = { rows: [], total: 0, next: null, prev: null };
  let query: ExplorerQuery;
  try {
    query = parseExplorerQuery(url.searchParams);
  } catch (e) {
    if (isAppError(e, "INVALID_INPUT")) return { query: null, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null };
    throw e;
  }
  try {
    const page = await querySegment(database.sql, shop, query);
    return { query, page, error: null, currencyCode: facts.currencyCode, asOf: latest.completed?.asOf ?? null };
  } catch (e) {
    if (isAppError(e, "INVALID_INPUT")) return { query, page: empty, error: e.message, currencyCode: facts.currencyCode, asOf: null };
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
  return { stream: segmentCsvStream(database.sql, shop, query), filename };
}
