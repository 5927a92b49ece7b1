import { z } from "zod";
import type { VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { listCampaigns } from "../campaigns/store";
import { customersByIds } from "../sync/store/customers";
import { queueFacets, queueTasks, type OutreachTaskRow } from "./store";
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

/** When the task's next step is due: contact (to_contact) or follow-up (contacted, follow_up_due); null once answered. */
function nextDue(t: OutreachTaskRow): Date | null {
  if (t.status === "to_contact") return new Date(t.dueAt);
  if (t.status === "contacted" || t.status === "follow_up_due") return t.followUpAt ? new Date(t.followUpAt) : null;
  return null;
}

const STATUS_ORDER: VipTaskStatus[] = ["escalated", "follow_up_due", "to_contact", "contacted", "responded", "won_back"];
/** Code-point order of the lowercased text: the same on every server, whatever its locale. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
type SortValue = number | string | null;
const SORT_VALUE: Record<SortKey, (r: QueueRow, status: VipTaskStatus) => SortValue> = {
  due: (r) => (r.nextDueAt ? r.nextDueAt.getTime() : null),
  spend: (r) => (r.totalSpent === null ? null : Number(r.totalSpent)),
  lastOrder: (r) => (r.lastOrderAt ? new Date(r.lastOrderAt).getTime() : null),
  name: (r) => r.name.toLowerCase(),
  status: (_r, s) => STATUS_ORDER.indexOf(s),
  campaign: (r) => (r.campaignName ?? r.campaignId).toLowerCase(),
};

function matchesSearch(r: QueueRow, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  if (r.name.toLowerCase().includes(needle) || (r.email ?? "").toLowerCase().includes(needle) || r.customerId === q) return true;
  // Phone numbers are written every which way ("+1 (415) 555-0102"): compare digits only, and only
  // for a search with enough digits to mean a number.
  const digits = q.replace(/\D/g, "");
  return digits.length >= 4 && (r.phone ?? "").replace(/\D/g, "").includes(digits);
}

/**
 * One page of the shop's outreach queue, filtered and sorted, with the total for pagination. The
 * status, concierge and campaign filters run in SQL on the outreach store; the customer's name,
 * contact and spend come from the sync's store, so search, sort and paging happen here. VIP queues
 * are a top slice of a shop's customers (hundreds to a few thousand rows), which this holds easily.
 */
export async function listQueue(sql: Sql, shop: string, q: QueueQuery, now: Date): Promise<{ rows: QueueRow[]; total: number }> {
  const tasks = await queueTasks(sql, shop, { status: q.status, concierge: q.concierge, campaign: q.campaign });
  const [customers, campaigns] = await Promise.all([
    customersByIds(sql, shop, [...new Set(tasks.map((t) => t.customerId))]),
    tasks.length ? listCampaigns(sql, shop) : Promise.resolve([]),
  ]);
  const campaignName = new Map(campaigns.map((c) => [c.id, c.name]));
  const all: Array<{ row: QueueRow; status: VipTaskStatus }> = [];
  for (const t of tasks) {
    const c = customers.get(t.customerId);
    const due = nextDue(t);
    const row: QueueRow = {
      id: t.id,
      customerId: t.customerId,
      name: `${c?.firstName ?? ""} ${c?.lastName ?? ""}`.trim(),
      email: c?.email ?? null,
      phone: c?.phone ?? null,
      totalSpent: c ? c.totalSpent : null,
      lastOrderAt: c?.lastOrderAt ?? null,
      campaignId: t.campaignId,
      campaignName: campaignName.get(t.campaignId) ?? null,
      concierge: t.conciergeName || t.conciergeRole,
      perkKind: t.perkKind,
      perkText: t.perkText,
      script: t.script,
      status: t.status,
      nextDueAt: due,
      overdue: due !== null && due.getTime() <= now.getTime(),
      escalatedTo: t.escalatedTo,
      wonBackOrderId: t.wonBackOrderId,
    };
    if (q.overdue && !row.overdue) continue;
    if (!matchesSearch(row, q.q)) continue;
    all.push({ row, status: t.status });
  }
  const sign = q.dir === "desc" ? -1 : 1;
  const value = SORT_VALUE[q.sort];
  all.sort((a, b) => {
    const va = value(a.row, a.status);
    const vb = value(b.row, b.status);
    // Missing values last in either direction; ties by task id in the same direction (stable pages).
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else {
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : byText(String(va), String(vb));
      if (c !== 0) return sign * c;
    }
    return sign * byText(a.row.id, b.row.id);
  });
  const start = (q.page - 1) * q.pageSize;
  return { rows: all.slice(start, start + q.pageSize).map((x) => x.row), total: all.length };
}

/** Values for the filter pickers. */
export async function queueOptions(
  sql: Sql,
  shop: string,
): Promise<{ concierges: string[]; campaigns: Array<{ id: string; name: string }>; total: number }> {
  const facets = await queueFacets(sql, shop);
  const names = new Map((facets.campaignIds.length ? await listCampaigns(sql, shop) : []).map((c) => [c.id, c.name]));
  return {
    concierges: facets.concierges.filter(Boolean).sort((a, b) => a.localeCompare(b)),
    campaigns: facets.campaignIds
      .map((id) => ({ id, name: names.get(id) ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    total: facets.total,
  };
}
