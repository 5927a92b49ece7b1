import { randomUUID } from "node:crypto";
import { z } from "zod";
import { localDay } from "../domain/analytics";
import { checkInScript, suggestPerk, suggestPerks, type CampaignSettings, type PerkKind, type PurchaseLine, type VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { parseOrThrow } from "../lib/parse";
import { shopFacts } from "../shop-settings.server";
import { TASK_COLUMNS, VIP_STATUSES, type OutreachTaskRow, type PerkDetails } from "./store";
import { DAY_MS } from "../domain/analytics/dates";
import { qualifyingOrder } from "../sync/orders-sql";

const CHUNK = 200;

const CreateInput = z.object({
  shop: z.string().min(1),
  campaignId: z.string().min(1),
  launchAt: z.date().refine((d) => Number.isFinite(d.getTime()), "invalid date"),
  settings: z.object({ vip: z.object({ conciergeName: z.string(), conciergeRole: z.string(), owner: z.string(), perkOverride: z.string().nullable(), followUpDays: z.number().int().min(1), graceDays: z.number().int().min(0) }).loose() }).loose(),
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
 * the perk is derived only from orders before launch so a retry derives the same one.
 */
export async function createOutreachTasks(
  sql: Sql,
  input: { shop: string; campaignId: string; launchAt: Date; settings: CampaignSettings; customerIds: string[] },
): Promise<{ created: number; existing: number }> {
  const p = parseOrThrow(CreateInput, input, "createOutreachTasks");
  const ids = [...new Set(p.customerIds.map((id) => BigInt(id).toString()))];
  if (!ids.length) return { created: 0, existing: 0 };
  const vip = input.settings.vip;
  const facts = await shopFacts(sql, p.shop);
  const dueAt = endOfLocalDay(p.launchAt, facts.ianaTimezone);
  const followUpAt = new Date(p.launchAt.getTime() + vip.followUpDays * DAY_MS);
  const conciergeName = vip.conciergeName.trim();
  const conciergeRole = vip.conciergeRole.trim();
  let created = 0;

  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const have = await sql.query<{ customerId: string }>(
      `SELECT "customerId"::text AS "customerId" FROM "OutreachTask" WHERE shop = $1 AND "campaignId" = $2 AND "customerId" = ANY($3::bigint[])`,
      [p.shop, p.campaignId, chunk],
    );
    const seen = new Set(have.map((r) => r.customerId));
    const todo = chunk.filter((id) => !seen.has(id));
    if (!todo.length) continue;

    const [lines, customers] = await Promise.all([purchaseLines(sql, p.shop, todo, p.launchAt), firstNames(sql, p.shop, todo)]);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const customerId of todo) {
      const history = lines.get(customerId) ?? [];
      const perk = suggestPerk(history, vip.perkOverride);
      const alternatives = vip.perkOverride ? [] : suggestPerks(history).slice(1, 4).map((s) => ({ kind: s.kind, text: s.text }));
      const details: PerkDetails = { productIds: perk.productIds, orders: perk.orders, alternatives };
      const script = checkInScript({
        // Without a named concierge the role speaks ("This is Customer care at ..."), never an empty name.
        conciergeName: conciergeName || conciergeRole,
        conciergeRole: conciergeName ? conciergeRole : undefined,
        customerFirstName: customers.get(customerId) ?? null,
        shopName: facts.name,
        perk,
      });
      const row = [randomUUID(), p.shop, p.campaignId, customerId, p.launchAt, conciergeName, conciergeRole, vip.owner.trim(), vip.followUpDays, vip.graceDays, perk.kind, perk.text, JSON.stringify(details), script, dueAt, followUpAt];
      const base = values.length;
      tuples.push(`(${row.map((_, k) => `$${base + k + 1}`).join(", ")}, now())`);
      values.push(...row);
    }
    const inserted = await sql.query<{ id: string }>(
      `INSERT INTO "OutreachTask" (id, shop, "campaignId", "customerId", "launchAt", "conciergeName", "conciergeRole", owner, "followUpDays", "graceDays",
         "perkKind", "perkText", "perkDetails", script, "dueAt", "followUpAt", "updatedAt")
       VALUES ${tuples.join(", ")}
       ON CONFLICT (shop, "campaignId", "customerId") DO NOTHING RETURNING id`,
      values,
    );
    created += inserted.length;
  }
  return { created, existing: ids.length - created };
}

/** Lines of the customers' qualifying orders before launch (not test, not cancelled), grouped by customer. */
async function purchaseLines(sql: Sql, shop: string, customerIds: string[], before: Date): Promise<Map<string, PurchaseLine[]>> {
  const rows = await sql.query<{ customerId: string; productId: string; productTitle: string | null; productType: string | null; vendor: string | null; quantity: number; orderId: string; processedAt: Date }>(
    `SELECT o."customerId"::text AS "customerId", l."productId"::text AS "productId", l."productTitle", l."productType", l.vendor, l.quantity,
            o.id::text AS "orderId", o."processedAt"
       FROM "Order" o JOIN "OrderLine" l ON l.shop = o.shop AND l."orderId" = o.id
      WHERE o.shop = $1 AND o."customerId" = ANY($2::bigint[]) AND ${qualifyingOrder("o")} AND o."processedAt" < $3
        AND l."productId" IS NOT NULL
      ORDER BY o."processedAt", l.id`,
    [shop, customerIds, before],
  );
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

async function firstNames(sql: Sql, shop: string, customerIds: string[]): Promise<Map<string, string | null>> {
  const rows = await sql.query<{ id: string; firstName: string | null }>(
    `SELECT id::text AS id, "firstName" FROM "Customer" WHERE shop = $1 AND id = ANY($2::bigint[])`,
    [shop, customerIds],
  );
  return new Map(rows.map((r) => [r.id, r.firstName]));
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
  if (!/^\d+$/.test(customerId)) return null;
  const rows = await sql.query<OutreachTaskRow>(
    `SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t."campaignId" = $2 AND t."customerId" = $3::bigint`,
    [shop, campaignId, customerId],
  );
  return rows[0] ? taskView(rows[0]) : null;
}

export type OutreachSummary = Record<VipTaskStatus, number> & { total: number; overdue: number };

/** Tasks per status (and overdue ones) for a shop or one campaign. */
export async function outreachSummary(sql: Sql, shop: string, campaignId?: string, now: Date = new Date()): Promise<OutreachSummary> {
  const rows = await sql.query<{ status: VipTaskStatus; n: string; overdue: string }>(
    `SELECT status, count(*)::int8 AS n,
            count(*) FILTER (WHERE (status = 'to_contact' AND "dueAt" <= $3) OR (status IN ('contacted', 'follow_up_due') AND "followUpAt" <= $3))::int8 AS overdue
       FROM "OutreachTask" WHERE shop = $1 AND ($2::text IS NULL OR "campaignId" = $2) GROUP BY status`,
    [shop, campaignId ?? null, now],
  );
  const out = Object.fromEntries(VIP_STATUSES.map((s) => [s, 0])) as OutreachSummary;
  out.total = 0;
  out.overdue = 0;
  for (const r of rows) {
    out[r.status] = Number(r.n);
    out.total += Number(r.n);
    out.overdue += Number(r.overdue);
  }
  return out;
}

export { scheduleEscalations } from "./jobs";

/** When the first task of a launch can escalate (never contacted): launch + followUpDays + graceDays. */
export function firstEscalationAt(launchAt: Date, settings: Pick<CampaignSettings, "vip">): Date {
  return new Date(launchAt.getTime() + (settings.vip.followUpDays + settings.vip.graceDays) * DAY_MS);
}
