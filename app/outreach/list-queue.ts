import { z } from "zod";
import type { VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { cleanParams } from "../lib/form";
import { parseOrThrow } from "../lib/parse";
import { statusSchema } from "./move-task";

export const SORT_KEYS = ["due", "spend", "lastOrder", "name", "status", "campaign"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const QuerySchema = z.object({
  status: z.array(statusSchema).default([]),
  concierge: z.array(z.string().max(200)).default([]),
  campaign: z.array(z.string().max(200)).default([]),
  overdue: z.boolean().default(false),
  q: z.string().trim().max(200).default(""),
  sort: z.enum(SORT_KEYS).default("due"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(500).default(50),
});
export type QueueQuery = z.output<typeof QuerySchema>;

/** The queue's URL state (repeated keys for multi-select filters), parsed; junk is INVALID_INPUT. */
export function parseQueueQuery(rawParams: URLSearchParams, overrides: Partial<QueueQuery> = {}): QueueQuery {
  // The one string rule at the query boundary: a NUL in the search box used to fail the SQL (500, or a cut CSV download).
  const params = cleanParams(rawParams);
  const num = (k: string) => (params.get(k) ? Number(params.get(k)) : undefined);
  const raw = {
    status: params.getAll("status").filter(Boolean),
    concierge: params.getAll("concierge").filter(Boolean),
    campaign: params.getAll("campaign").filter(Boolean),
    overdue: ["1", "true"].includes(params.get("overdue") ?? ""),
    q: params.get("q") ?? undefined,
    sort: params.get("sort") || undefined,
    dir: params.get("dir") || undefined,
    page: num("page"),
    pageSize: num("pageSize"),
    ...overrides,
  };
  return parseOrThrow(QuerySchema, raw, "outreach queue filters");
}

export interface QueueRow {
  id: string;
  customerId: string;
  name: string;
  email: string | null;
  phone: string | null;
  totalSpent: string | null;
  lastOrderAt: Date | null;
  campaignId: string;
  campaignName: string | null;
  concierge: string;
  perkKind: string;
  perkText: string;
  script: string;
  status: VipTaskStatus;
  /** when the next step is due: contact (to_contact) or follow-up (contacted, follow_up_due); null once answered */
  nextDueAt: Date | null;
  overdue: boolean;
  escalatedTo: string | null;
  wonBackOrderId: string | null;
}

const NEXT_DUE = `CASE WHEN t.status = 'to_contact' THEN t."dueAt" WHEN t.status IN ('contacted', 'follow_up_due') THEN t."followUpAt" END`;
const CONCIERGE = `coalesce(nullif(t."conciergeName", ''), t."conciergeRole")`;
const ORDER_BY: Record<SortKey, string> = {
  due: `${NEXT_DUE}`,
  spend: `c."totalSpent"`,
  lastOrder: `c."lastOrderAt"`,
  // COLLATE "C": the same order on PGlite and on a PostgreSQL whose default collation differs.
  name: `lower(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", '')) COLLATE "C"`,
  status: `array_position(ARRAY['escalated', 'follow_up_due', 'to_contact', 'contacted', 'responded', 'won_back']::text[], t.status)`,
  campaign: `lower(coalesce(k.name, t."campaignId")) COLLATE "C"`,
};

function where(q: QueueQuery, now: Date): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => (params.push(v), `$${params.length + 1}`); // $1 is the shop
  const parts: string[] = [];
  if (q.status.length) parts.push(`t.status = ANY(${p(q.status)}::text[])`);
  if (q.concierge.length) parts.push(`${CONCIERGE} = ANY(${p(q.concierge)}::text[])`);
  if (q.campaign.length) parts.push(`t."campaignId" = ANY(${p(q.campaign)}::text[])`);
  if (q.overdue) parts.push(`${NEXT_DUE} <= ${p(now)}`);
  if (q.q) {
    const like = p(`%${q.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    // Phone numbers are written every which way ("+1 (415) 555-0102"): compare digits only, and only
    // for a search with enough digits to mean a number.
    const digits = q.q.replace(/\D/g, "");
    const phone = digits.length >= 4 ? ` OR regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g') LIKE ${p(`%${digits}%`)}` : "";
    parts.push(`(lower(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", '')) LIKE ${like} OR lower(coalesce(c.email, '')) LIKE ${like} OR t."customerId"::text = ${p(q.q)}${phone})`);
  }
  return { sql: parts.length ? ` AND ${parts.join(" AND ")}` : "", params };
}

/** One page of the shop's outreach queue, filtered and sorted in SQL, with the total for pagination. */
export async function listQueue(sql: Sql, shop: string, q: QueueQuery, now: Date): Promise<{ rows: QueueRow[]; total: number }> {
  const w = where(q, now);
  const dir = q.dir === "desc" ? "DESC" : "ASC";
  const nowParam = `$${w.params.length + 2}`;
  const limit = `$${w.params.length + 3}`;
  const offset = `$${w.params.length + 4}`;
  const rows = await sql.query<QueueRow & { total: string }>(
    `SELECT t.id, t."customerId"::text AS "customerId",
            trim(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", '')) AS name, c.email, c.phone, c."totalSpent"::text AS "totalSpent", c."lastOrderAt",
            t."campaignId", k.name AS "campaignName", ${CONCIERGE} AS concierge, t."perkKind", t."perkText", t.script, t.status,
            ${NEXT_DUE} AS "nextDueAt", coalesce(${NEXT_DUE} <= ${nowParam}, false) AS overdue, t."escalatedTo", t."wonBackOrderId"::text AS "wonBackOrderId",
            count(*) OVER () AS total
       FROM "OutreachTask" t
       LEFT JOIN "Customer" c ON c.shop = t.shop AND c.id = t."customerId"
       LEFT JOIN "Campaign" k ON k.id = t."campaignId" AND k.shop = t.shop
      WHERE t.shop = $1${w.sql}
      ORDER BY ${ORDER_BY[q.sort]} ${dir} NULLS LAST, t.id ${dir}
      LIMIT ${limit} OFFSET ${offset}`,
    [shop, ...w.params, now, q.pageSize, (q.page - 1) * q.pageSize],
  );
  let total = Number(rows[0]?.total ?? 0);
  if (!rows.length && q.page > 1) {
    // Past the last page (rows were moved out of the filter meanwhile): still report the real total.
    const c = await sql.query<{ n: string }>(
      `SELECT count(*)::int8 AS n FROM "OutreachTask" t LEFT JOIN "Customer" c ON c.shop = t.shop AND c.id = t."customerId" WHERE t.shop = $1${w.sql}`,
      [shop, ...w.params],
    );
    total = Number(c[0]?.n ?? 0);
  }
  return { rows: rows.map(({ total: _t, ...r }) => r), total };
}

/** Values for the filter pickers. */
export async function queueOptions(sql: Sql, shop: string): Promise<{ concierges: string[]; campaigns: Array<{ id: string; name: string }>; total: number }> {
  const [concierges, campaigns, total] = await Promise.all([
    sql.query<{ v: string }>(`SELECT DISTINCT ${CONCIERGE} AS v FROM "OutreachTask" t WHERE t.shop = $1`, [shop]),
    sql.query<{ id: string; name: string | null }>(
      `SELECT DISTINCT t."campaignId" AS id, k.name FROM "OutreachTask" t LEFT JOIN "Campaign" k ON k.id = t."campaignId" AND k.shop = t.shop WHERE t.shop = $1`,
      [shop],
    ),
    sql.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM "OutreachTask" WHERE shop = $1`, [shop]),
  ]);
  return {
    concierges: concierges.map((r) => r.v).filter(Boolean).sort((a, b) => a.localeCompare(b)),
    campaigns: campaigns.map((r) => ({ id: r.id, name: r.name ?? r.id })).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    total: Number(total[0]?.n ?? 0),
  };
}
