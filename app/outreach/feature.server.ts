import type { Feature } from "../jobs/feature";
import { outreachJobDefinitions, type OutreachDeps } from "./jobs";

export { scheduleEscalations } from "./jobs";

// Lazy: the worker composition root imports this file, and the db/queue modules import it back.
async function deps(): Promise<OutreachDeps> {
  const [{ database }, { jobQueue }, { mailTransport }, { env }, { notifyOwners }] = await Promise.all([
    import("../db.server"),
    import("../jobs/worker.server"),
    import("../messaging/mail-transport.server"),
    import("../env.server"),
    import("./notify"),
  ]);
  await database.ready();
  const mailer = mailTransport();
  const e = env();
  return {
    sql: database.sql,
    queue: jobQueue(),
    now: () => new Date(),
    notifyOwners: mailer
      ? (shop, escalated) =>
          notifyOwners({ sql: database.sql, mailer, from: e.MAIL_FROM, appAdminUrl: (s) => `https://${s}/admin/apps/${e.SHOPIFY_API_KEY}/app/outreach?status=escalated` }, shop, escalated)
      : undefined,
  };
}

/** Reacts to an order of a VIP with an open task: a qualifying order after launch marks it won_back. */
export async function outreachOnOrderChanged(d: Pick<OutreachDeps, "sql" | "now">, event: { shop: string; customerId: string | null }) {
  if (!event.customerId) return [];
  const { reconcileWonBack } = await import("./lifecycle");
  return reconcileWonBack(d.sql, event.shop, d.now(), { customerId: String(event.customerId) });
}

/** The outreach feature's jobs and hooks (see app/jobs/feature.ts). */
export const outreachFeature: Feature = {
  name: "outreach",
  jobs: outreachJobDefinitions(deps),
  // Starts the daily escalation chain for the shop (a no-op when one is already queued for today).
  afterInstall: async (shop) => {
    const d = await deps();
    const { scheduleEscalations } = await import("./jobs");
    await scheduleEscalations(d.queue, shop, d.now());
  },
  onOrderChanged: async (event) => {
    await outreachOnOrderChanged(await deps(), event);
  },
  // A delta sync (every few hours) can bring orders whose webhooks were lost; it also keeps the
  // escalation checks going when no launch scheduled one (the job sweeps won-back first).
  onSyncCompleted: async (shop) => {
    const d = await deps();
    const { scheduleEscalations } = await import("./jobs");
    await scheduleEscalations(d.queue, shop, d.now());
  },
};
