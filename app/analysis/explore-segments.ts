import { z } from "zod";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { cleanParams } from "../lib/form";
import { parseOrThrow } from "../lib/parse";
import { customerScoreColumns, csvRecord } from "../lib/csv";
import { customersByIds } from "../sync/store/customers";
import { countScores, scorePage, type ScoreRow } from "./store";

/**
 * The segment explorer's queries: filter, sort and keyset pagination entirely in SQL (the
 * analysis's store, app/analysis/store.ts), so a page costs the same at customer 50 and customer 500,000. The cursor is the last row's (sort value,
 * customer id); the id breaks ties so no row is skipped or repeated between pages.
 */
export const SORTS = {
  churnRisk: { expr: `cs."churnRisk"`, type: "float8", label: "Churn risk" },
  totalSpent: { expr: `cs."totalSpent"`, type: "float8", label: "Total spent" },
  daysSinceLast: { expr: `cs."daysSinceLast"`, type: "int", label: "Days since last order" },
  // No model fitted: NULL for every row. Unknown sorts below every real probability / value.
  pBuy: { expr: `COALESCE(cs."pBuy", -1)`, type: "float8", label: "Chance of ordering" },
  predictedValue12m: { expr: `COALESCE(cs."predictedValue12m", -1)`, type: "float8", label: "Predicted 12-month value" },
} as const;
export type SortKey = keyof typeof SORTS;

const yesNo = z.enum(["yes", "no"]).optional();
const empty = (v: unknown) => (v === "" || v === null ? undefined : v);

export const ExplorerQuerySchema = z.object({
  class: z.preprocess(empty, z.enum(["active", "at_risk", "high_risk", "lost"]).optional()),
  branch: z.preprocess(empty, z.enum(["VIP", "Standard"]).optional()),
  vip: z.preprocess(empty, yesNo),
  overdue: z.preprocess(empty, yesNo),
  target: z.preprocess(empty, yesNo),
  sort: z.preprocess(empty, z.enum(Object.keys(SORTS) as [SortKey, ...SortKey[]]).default("churnRisk")),
  dir: z.preprocess(empty, z.enum(["asc", "desc"]).default("desc")),
  after: z.preprocess(empty, z.string().max(200).optional()),
  before: z.preprocess(empty, z.string().max(200).optional()),
  limit: z.preprocess(empty, z.coerce.number().int().min(1).max(250).default(50)),
});
export type ExplorerQuery = z.infer<typeof ExplorerQuerySchema>;
export type ExplorerFilters = Pick<ExplorerQuery, "class" | "branch" | "vip" | "overdue" | "target">;

export function parseExplorerQuery(rawParams: URLSearchParams): ExplorerQuery {
  const params = cleanParams(rawParams); // lib/text's NUL rule at the query boundary
  const raw: Record<string, string> = {};
  for (const k of Object.keys(ExplorerQuerySchema.shape)) {
    const v = params.get(k);
    if (v !== null) raw[k] = v;
  }
  return parseOrThrow(ExplorerQuerySchema, raw, "Segment filter");
}

interface Cursor {
  v: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id])).toString("base64url");
}

export function decodeCursor(s: string): Cursor {
  try {
    const [v, id] = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof v !== "number" || !Number.isFinite(v) || typeof id !== "string" || !/^\d{1,20}$/.test(id)) throw new Error("shape");
    return { v, id };
  } catch {
    throw new AppError("INVALID_INPUT", "Segment filter: the page cursor is invalid (reload the first page)");
  }
}

/** A score row with the customer's name and email, which the sync owns (read after the page is chosen). */
export interface SegmentRow extends ScoreRow {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}

/**
 * One page of rows after (or before) a cursor, in the query's order: scores from the analysis's
 * store, then the page's names and emails from the sync's customers (one read per page).
 */
async function page(
  sql: Sql,
  shop: string,
  q: ExplorerQuery,
  limit: number,
  cursor: { after?: Cursor; before?: Cursor },
): Promise<SegmentRow[]> {
  // "before" walks the same order backwards, then the page is flipped back.
  const backwards = !!cursor.before;
  const asc = (q.dir === "asc") !== backwards;
  const scores = await scorePage(sql, shop, { filters: q, sort: SORTS[q.sort], asc, limit, cursor: cursor.after ?? cursor.before });
  const customers = await customersByIds(
    sql,
    shop,
    scores.map((r) => r.customerId),
  );
  const rows = scores.map((r): SegmentRow => {
    const c = customers.get(r.customerId);
    return { ...r, firstName: c?.firstName ?? null, lastName: c?.lastName ?? null, email: c?.email ?? null };
  });
  return backwards ? rows.reverse() : rows;
}

export interface SegmentPage {
  rows: SegmentRow[];
  total: number;
  /** Cursors for the next/previous page, null at either end. */
  next: string | null;
  prev: string | null;
}

/**
 * Totals per (shop, analysis run, filters). A run's scores never change after it completed (the next
 * run replaces them all, with a new id), so a filter's total is counted once per run instead of on
 * every page turn; a count over a million rows costs more than the page itself. Bounded, oldest out.
 */
const TOTALS = new WeakMap<Sql, Map<string, number>>(); // per database: tests open several in one process
const TOTALS_MAX = 2_000;

async function segmentTotal(sql: Sql, shop: string, q: ExplorerQuery, runId: string | undefined): Promise<number> {
  if (!runId) return countScores(sql, shop, q);
  const key = JSON.stringify([shop, runId, q.class, q.branch, q.vip, q.overdue, q.target]);
  let totals = TOTALS.get(sql);
  if (!totals) TOTALS.set(sql, (totals = new Map()));
  const hit = totals.get(key);
  if (hit !== undefined) return hit;
  const n = await countScores(sql, shop, q);
  if (totals.size >= TOTALS_MAX) totals.delete(totals.keys().next().value!);
  totals.set(key, n);
  return n;
}

/** One page of the segment; `runId` (the completed run the scores belong to) lets the total be reused across pages. */
export async function querySegment(sql: Sql, shop: string, q: ExplorerQuery, runId?: string): Promise<SegmentPage> {
  if (q.after && q.before) throw new AppError("INVALID_INPUT", "Segment filter: give either after or before, not both");
  const after = q.after ? decodeCursor(q.after) : undefined;
  const before = q.before ? decodeCursor(q.before) : undefined;
  // One extra row tells whether another page exists in the walking direction.
  const rows = await page(sql, shop, q, q.limit + 1, { after, before });
  const more = rows.length > q.limit;
  if (more) {
    if (before) rows.shift();
    else rows.pop();
  }
  const cur = (r: SegmentRow) => encodeCursor({ v: r.sortValue, id: r.customerId });
  const first = rows[0],
    last = rows[rows.length - 1];
  const next = before ? (last ? cur(last) : null) : more && last ? cur(last) : null;
  const prev = before ? (more && first ? cur(first) : null) : after && first ? cur(first) : null;
  const total = await segmentTotal(sql, shop, q, runId);
  return { rows, total, next, prev };
}

/** Same columns (and names, the horizon in the buy probability's) as `winback analyze --customers-out`, then the contact columns. */
export function csvColumns(horizonDays: number): string[] {
  return [...customerScoreColumns(horizonDays), "email", "first_name", "last_name"];
}

export function csvLine(r: SegmentRow): string {
  return csvRecord([
    r.customerId,
    r.orders,
    r.totalSpent,
    r.aov,
    r.firstOrderDate,
    r.lastOrderDate,
    r.purchaseDays,
    r.daysSinceLast,
    r.medianGapDays,
    r.lapseClass,
    r.overdue,
    r.vip,
    r.target,
    r.branch ? r.branch.toLowerCase() : null,
    r.pBuy,
    r.expectedPurchases90,
    r.expectedOrderValue,
    r.predictedValue12m,
    r.expectedNextOrderDate,
    r.churnRisk,
    r.email,
    r.firstName,
    r.lastName,
  ]);
}

/**
 * The filtered segment as CSV, produced page by page while the client reads: memory stays at one
 * page however many customers match, and a client that goes away stops the queries.
 */
export function segmentCsvStream(
  sql: Sql,
  shop: string,
  q: ExplorerQuery,
  horizonDays: number,
  pageSize = 5_000,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor: Cursor | undefined;
  let started = false;
  let done = false;
  // The first batch is small so the first rows reach the client at once; later ones are full size.
  let size = Math.min(pageSize, 500);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(csvColumns(horizonDays).join(",") + "\n"));
        return;
      }
      if (done) return;
      try {
        const rows = await page(sql, shop, q, size, { after: cursor });
        if (rows.length) {
          controller.enqueue(enc.encode(rows.map(csvLine).join("\n") + "\n"));
          const last = rows[rows.length - 1]!;
          cursor = { v: last.sortValue, id: last.customerId };
        }
        if (rows.length < size) {
          done = true;
          controller.close();
        }
        size = pageSize;
      } catch (e) {
        controller.error(e);
      }
    },
  });
}
