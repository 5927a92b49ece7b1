import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localDay } from "../domain/analytics";
import {
  checkInScript,
  suggestPerk,
  suggestPerks,
  type CampaignSettings,
  type PerkKind,
  type PurchaseLine,
  type VipTaskStatus,
} from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { parseOrThrow } from "../lib/parse";
import { shopFacts } from "../shop-settings.server";
import { customersWithTasks, findTaskFor, insertTasks, statusCounts, VIP_STATUSES, type NewTask, type OutreachTaskRow } from "./store";
import { contactOf } from "./refresh-contacts";
import { DAY_MS } from "../domain/analytics/dates";
import { customersByIds } from "../sync/store/customers";
import { purchaseLinesBefore } from "../sync/store/purchases";
import { loadOutreachSettings, vipTaskSettings } from "./settings";

/** VIPs per round of reads and one multi-row insert (22 parameters a row, far below PostgreSQL's 65,535). */
const CHUNK = 1000;

const CreateInput = z.object({
  shop: z.string().min(1),
  campaignId: z.string().min(1),
  launchAt: z.date().refine((d) => Number.isFinite(d.getTime()), "invalid date"),
  settings: z
    .object({
      vip: z
        .object({
          conciergeName: z.string(),
          conciergeRole: z.string(),
          owner: z.string(),
          perkOverride: z.string().nullable(),
          followUpDays: z.number().int().min(1),
          graceDays: z.number().int().min(0),
        })
        .loose(),
    })
    .loose(),
  customerIds: z.array(z.string().regex(/^\d+$/, "customer ids are Shopify legacy ids (decimal)")),
});

/**
 * The end of the launch day in the shop's zone: "contact on launch day" means by the shop's midnight,
 * not 24 hours after the click.
 */
export function endOfLocalDay(at: Date, timeZone: string): Date {
  const day = localDay(at, timeZone);
  let lo = at.getTime();
  let hi = at.getTime() + 2 * DAY_MS;
  // Offsets differ by zone and DST; search the first instant whose local day is the next one (to the minute).
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (localDay(mid, timeZone) > day) hi = mid;
    else lo = mid;
  }
  const step = Math.floor(hi / 60_000) * 60_000;
  return new Date(localDay(step, timeZone) > day ? step : hi);
}

/**
 * One outreach task per VIP of a launched campaign. Idempotent: the unique (shop, campaign,
 * customer) key makes a retried or interrupted launch insert only the tasks that are missing, and
 * the perk is derived only from orders before launch so a retry derives the same one. Concierge,
 * owner, follow-up and grace days come from the shop's outreach settings unless the campaign's
 * plan names its own concierge or owner (settings.ts vipTaskSettings).
 */
export async function createOutreachTasks(
  sql: Sql,
  input: { shop: string; campaignId: string; launchAt: Date; settings: CampaignSettings; customerIds: string[] },
): Promise<{ created: number; existing: number }> {
  const p = parseOrThrow(CreateInput, input, "createOutreachTasks");
  const ids = [...new Set(p.customerIds.map((id) => BigInt(id).toString()))];
  if (!ids.length) return { created: 0, existing: 0 };
  const vip = vipTaskSettings(await loadOutreachSettings(sql, p.shop), input.settings.vip);
  const perkOverride = input.settings.vip.perkOverride;
  const facts = await shopFacts(sql, p.shop);
  const dueAt = endOfLocalDay(p.launchAt, facts.ianaTimezone);
  const followUpAt = new Date(p.launchAt.getTime() + vip.followUpDays * DAY_MS);
  let created = 0;

  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const seen = await customersWithTasks(sql, p.shop, p.campaignId, chunk);
    const todo = chunk.filter((id) => !seen.has(id));
    if (!todo.length) continue;

    const [lines, customers] = await Promise.all([purchaseLines(sql, p.shop, todo, p.launchAt), customersByIds(sql, p.shop, todo)]);
    const tasks: NewTask[] = todo.map((customerId) => {
      const history = lines.get(customerId) ?? [];
      const perk = suggestPerk(history, perkOverride);
      const alternatives = perkOverride
        ? []
        : suggestPerks(history)
            .slice(1, 4)
            .map((s) => ({ kind: s.kind, text: s.text }));
      const script = checkInScript({
        // Without a named concierge the role speaks ("This is Customer care at ..."), never an empty name.
        conciergeName: vip.conciergeName || vip.conciergeRole,
        conciergeRole: vip.conciergeName ? vip.conciergeRole : undefined,
        customerFirstName: customers.get(customerId)?.firstName ?? null,
        shopName: facts.name,
        perk,
      });
      return {
        id: randomUUID(),
        shop: p.shop,
        campaignId: p.campaignId,
        customerId,
        launchAt: p.launchAt,
        conciergeName: vip.conciergeName,
        conciergeRole: vip.conciergeRole,
        owner: vip.owner,
        followUpDays: vip.followUpDays,
        graceDays: vip.graceDays,
        perkKind: perk.kind,
        perkText: perk.text,
        perkDetails: { productIds: perk.productIds, orders: perk.orders, alternatives },
        script,
        dueAt,
        followUpAt,
        // The queue searches and sorts on this snapshot, written with the row (refresh-contacts.ts keeps it current).
        contact: contactOf(customerId, customers.get(customerId)),
      };
    });
    created += await insertTasks(sql, tasks);
  }
  return { created, existing: ids.length - created };
}

/** Lines of the customers' qualifying orders before launch, grouped by customer (read through the sync's store). */
async function purchaseLines(sql: Sql, shop: string, customerIds: string[], before: Date): Promise<Map<string, PurchaseLine[]>> {
  const rows = await purchaseLinesBefore(sql, shop, customerIds, before);
  const out = new Map<string, PurchaseLine[]>();
  for (const r of rows) {
    const list = out.get(r.customerId) ?? [];
    list.push({
      productId: r.productId,
      // Custom line items have no title in some exports; the agent still needs something to say.
      productTitle: r.productTitle?.trim() || "your usual item",
      productType: r.productType,
      vendor: r.vendor,
      quantity: Number(r.quantity),
      orderId: r.orderId,
      date: new Date(r.processedAt),
    });
    out.set(r.customerId, list);
  }
  return out;
}

export interface OutreachTaskView {
  id: string;
  campaignId: string;
  customerId: string;
  status: VipTaskStatus;
  perk: { kind: PerkKind; text: string; productIds: string[] };
  concierge: { name: string; role: string };
  script: string;
  dueAt: Date;
  followUpAt: Date | null;
  escalatedTo: string | null;
  wonBackOrderId: string | null;
}

export function taskView(r: OutreachTaskRow): OutreachTaskView {
  return {
    id: r.id,
    campaignId: r.campaignId,
    customerId: r.customerId,
    status: r.status,
    perk: { kind: r.perkKind, text: r.perkText, productIds: r.perkDetails.productIds ?? [] },
    concierge: { name: r.conciergeName, role: r.conciergeRole },
    script: r.script,
    dueAt: r.dueAt,
    followUpAt: r.followUpAt,
    escalatedTo: r.escalatedTo,
    wonBackOrderId: r.wonBackOrderId,
  };
}

/** The VIP's task in a campaign (the VIP email quotes its perk and concierge), or null. */
export async function outreachTaskFor(sql: Sql, shop: string, campaignId: string, customerId: string): Promise<OutreachTaskView | null> {
  const row = await findTaskFor(sql, shop, campaignId, customerId);
  return row ? taskView(row) : null;
}

export type OutreachSummary = Record<VipTaskStatus, number> & { total: number; overdue: number };

/** Tasks per status (and overdue ones) for a shop or one campaign. */
export async function outreachSummary(sql: Sql, shop: string, campaignId?: string, now: Date = new Date()): Promise<OutreachSummary> {
  const out = Object.fromEntries(VIP_STATUSES.map((s) => [s, 0])) as OutreachSummary;
  out.total = 0;
  out.overdue = 0;
  for (const r of await statusCounts(sql, shop, campaignId ?? null, now)) {
    out[r.status] = r.n;
    out.total += r.n;
    out.overdue += r.overdue;
  }
  return out;
}

export { scheduleEscalations } from "./jobs";

/** When the first task of a launch can escalate (never contacted): launch + followUpDays + graceDays. */
export function firstEscalationAt(launchAt: Date, settings: Pick<CampaignSettings, "vip">): Date {
  return new Date(launchAt.getTime() + (settings.vip.followUpDays + settings.vip.graceDays) * DAY_MS);
}
