import { z } from "zod";
import type { VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { listCampaigns } from "../campaigns/store";
import { customersByIds } from "../sync/store/customers";
import {
  countQueueTasks,
  queueFacetValues,
  queueFacets,
  queueTaskPage,
  type OutreachTaskRow,
  type QueueFilter,
  type QueueOrder,
} from "./store";
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

const STATUS_ORDER: VipTaskStatus[] = ["escalated", "follow_up_due", "to_contact", "contacted", "responded", "won_back"];

/** The query's filters as the store applies them; `now` decides what is overdue. */
export function queueFilter(q: QueueQuery, now: Date): QueueFilter {
  return { status: q.status, concierge: q.concierge, campaign: q.campaign, overdueAt: q.overdue ? now : null, search: q.q };
}

/**
 * The query's order. The campaign sort is by the campaign's name (the campaigns feature's), lower-cased
 * here for every campaign the shop's tasks name: a shop has tens of campaigns, not thousands.
 */
export async function queueOrder(sql: Sql, shop: string, q: Pick<QueueQuery, "sort" | "dir">): Promise<QueueOrder> {
  const order: QueueOrder = { sort: q.sort, dir: q.dir, statusOrder: STATUS_ORDER, campaignKeys: { ids: [], keys: [] } };
  if (q.sort === "campaign") {
    const [facets, campaigns] = await Promise.all([queueFacetValues(sql, shop), listCampaigns(sql, shop)]);
    const names = new Map(campaigns.map((c) => [c.id, c.name]));
    order.campaignKeys = { ids: facets.campaignIds, keys: facets.campaignIds.map((id) => (names.get(id) ?? id).toLowerCase()) };
  }
  return order;
}

/** Queue rows for tasks read from the store: name, contact, spend and last order read live from the sync's customers. */
export async function queueRows(sql: Sql, shop: string, tasks: OutreachTaskRow[], now: Date): Promise<QueueRow[]> {
  const [customers, campaigns] = await Promise.all([
    customersByIds(sql, shop, [...new Set(tasks.map((t) => t.customerId))]),
    tasks.length ? listCampaigns(sql, shop) : Promise.resolve([]),
  ]);
  const campaignName = new Map(campaigns.map((c) => [c.id, c.name]));
  return tasks.map((t): QueueRow => {
    const c = customers.get(t.customerId);
    const due = nextDue(t);
    return {
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
  });
}

/** When the task's next step is due: contact (to_contact) or follow-up (contacted, follow_up_due); null once answered. */
function nextDue(t: OutreachTaskRow): Date | null {
  if (t.status === "to_contact") return new Date(t.dueAt);
  if (t.status === "contacted" || t.status === "follow_up_due") return t.followUpAt ? new Date(t.followUpAt) : null;
  return null;
}

/**
 * One page of the shop's outreach queue, filtered, searched, sorted and paged in SQL by the outreach
 * store (docs/decisions/086-pages-at-scale.md) on the task's contact snapshot, with the total for
 * pagination; the page's customers are then read from the sync's store (one read of pageSize ids).
 * Missing values sort last in either direction; ties by task id.
 */
export async function listQueue(
  sql: Sql,
  shop: string,
  q: QueueQuery,
  now: Date,
  /** The shop's task count when the caller reads it anyway (the page's summary): an unfiltered queue's total is that. */
  shopTotal?: () => Promise<number>,
): Promise<{ rows: QueueRow[]; total: number }> {
  const filter = queueFilter(q, now);
  const order = await queueOrder(sql, shop, q);
  const [tasks, total] = await Promise.all([
    queueTaskPage(sql, shop, filter, order, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize }),
    shopTotal && isUnfiltered(q) ? shopTotal() : countQueueTasks(sql, shop, filter),
  ]);
  return { rows: await queueRows(sql, shop, tasks, now), total };
}

/** No filter and no search: the queue is every task of the shop. */
export function isUnfiltered(q: QueueQuery): boolean {
  return !q.status.length && !q.concierge.length && !q.campaign.length && !q.overdue && !q.q;
}

/** Values for the filter pickers. */
export async function queueOptions(
  sql: Sql,
  shop: string,
  /** The shop's task count when the caller reads it anyway (the page's summary). */
  shopTotal?: () => Promise<number>,
): Promise<{ concierges: string[]; campaigns: Array<{ id: string; name: string }>; total: number }> {
  const facets = shopTotal ? { ...(await queueFacetValues(sql, shop)), total: await shopTotal() } : await queueFacets(sql, shop);
  const names = new Map((facets.campaignIds.length ? await listCampaigns(sql, shop) : []).map((c) => [c.id, c.name]));
  return {
    concierges: facets.concierges.filter(Boolean).sort((a, b) => a.localeCompare(b)),
    campaigns: facets.campaignIds
      .map((id) => ({ id, name: names.get(id) ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    total: facets.total,
  };
}
