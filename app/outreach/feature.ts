import type { AppContext, Feature } from "../jobs/feature";
import { outreachJobDefinitions, scheduleEscalations, type OutreachDeps } from "./jobs";
import { reconcileWonBack } from "./escalate-tasks";
import { notifyOwners } from "./notify-owners";
import { refreshTaskContacts } from "./refresh-contacts";
import { exportOutreachCustomers, redactOutreachCustomers, redactOutreachShop } from "./store";

export { scheduleEscalations } from "./jobs";

/** The outreach use cases' dependencies from the app's context (owner digests only with SMTP configured). */
export function outreachDeps(ctx: AppContext): () => Promise<OutreachDeps> {
  return async () => {
    await ctx.db.ready();
    const mailer = ctx.mailer();
    const e = ctx.env();
    return {
      sql: ctx.db.sql,
      queue: ctx.queue,
      now: ctx.now,
      notifyOwners: mailer
        ? (shop, escalated) =>
            notifyOwners(
              {
                sql: ctx.db.sql,
                mailer,
                from: e.MAIL_FROM,
                appAdminUrl: (s) => `https://${s}/admin/apps/${e.SHOPIFY_API_KEY}/app/outreach?status=escalated`,
              },
              shop,
              escalated,
            )
        : undefined,
    };
  };
}

/** Reacts to an order of a VIP with an open task: a qualifying order after launch marks it won_back. */
export async function outreachOnOrderChanged(
  d: Pick<OutreachDeps, "sql" | "now">,
  event: { shop: string; customerId: string | null; previousCustomerId?: string | null },
) {
  if (!event.customerId) return [];
  // The order changed the customer's spend and last order, which the queue sorts on.
  await refreshTaskContacts(d.sql, event.shop, [event.customerId, event.previousCustomerId].filter((id): id is string => !!id).map(String));
  return reconcileWonBack(d.sql, event.shop, d.now(), { customerId: String(event.customerId) });
}

/** The outreach feature's jobs and hooks (see app/jobs/feature.ts). */
export function createOutreachFeature(ctx: AppContext): Feature {
  const deps = outreachDeps(ctx);
  return {
    name: "outreach",
    jobs: outreachJobDefinitions(deps),
    // Starts the daily escalation chain for the shop (a no-op when one is already queued for today).
    afterInstall: async (shop) => {
      const d = await deps();
      await scheduleEscalations(d.queue, shop, d.now());
    },
    onOrderChanged: async (event) => {
      await outreachOnOrderChanged(await deps(), event);
    },
    // A delta sync (every few hours) can bring orders whose webhooks were lost; it also keeps the
    // escalation checks going when no launch scheduled one (the job sweeps won-back first).
    onSyncCompleted: async (shop) => {
      const d = await deps();
      // Names, emails and phones change without an order (customer webhooks, the delta sync): the
      // queue's search snapshot catches up here, one batch of customers at a time.
      await refreshTaskContacts(d.sql, shop);
      await scheduleEscalations(d.queue, shop, d.now());
    },
    // GDPR topics: outreach deletes and exports its own tables (ADR 076).
    redactCustomers: (tx, shop, { customerIds }) => redactOutreachCustomers(tx, shop, customerIds),
    redactShop: (tx, shop) => redactOutreachShop(tx, shop),
    exportCustomerData: (sql, shop, customerIds) => exportOutreachCustomers(sql, shop, customerIds),
  };
}
