import type { Sql } from "../db/sql";
import { isSingleEmailAddress } from "../lib/email-address";
import type { EscalationRun } from "./escalate-tasks";
import { loadOutreachSettings } from "./settings";
import { tasksByIds } from "./store";
import { customersByIds } from "../sync/store/customers";

/** The part of a nodemailer Transporter the owner notice needs. */
export interface OwnerMailer {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
}

/**
 * Tells each owner which VIPs were just escalated to them: one digest per owner and run. The
 * recipient is the task's owner when that is exactly one email address (lib/email-address, checked
 * again here because a list such as "a@x.com, b@y.com" would fan out to every address); a task
 * escalated to a name, or to nobody, goes to the escalation owner's address from the outreach
 * settings when that owner is the one named. Sent after the escalations were committed, and a rerun
 * escalates nothing twice, so an owner gets each VIP at most once (a crash between commit and send
 * loses the mail; the Outreach page's banner still shows it).
 */
export async function notifyOwners(
  deps: { sql: Sql; mailer: OwnerMailer; from: string; appAdminUrl: (shop: string) => string },
  shop: string,
  escalated: EscalationRun["escalated"],
): Promise<Array<{ to: string; count: number }>> {
  const settings = await loadOutreachSettings(deps.sql, shop);
  const recipient = (owner: string | null | undefined): string | null => {
    const o = owner?.trim() ?? "";
    if (isSingleEmailAddress(o)) return o;
    if (settings.ownerEmail && (o === "" || o === settings.ownerName)) return settings.ownerEmail;
    return null;
  };
  const byOwner = new Map<string, string[]>();
  for (const e of escalated) {
    const to = recipient(e.escalatedTo);
    if (!to) continue;
    byOwner.set(to, [...(byOwner.get(to) ?? []), e.taskId]);
  }
  const sent: Array<{ to: string; count: number }> = [];
  for (const [to, taskIds] of byOwner) {
    const tasks = await tasksByIds(deps.sql, shop, taskIds);
    const customers = await customersByIds(
      deps.sql,
      shop,
      tasks.map((t) => t.customerId),
    );
    // Biggest spenders first: the owner calls them before the others.
    const spend = (id: string) => (customers.has(id) ? Number(customers.get(id)!.totalSpent) : -Infinity);
    tasks.sort((a, b) => spend(b.customerId) - spend(a.customerId) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const lines = tasks.map((t) => {
      const c = customers.get(t.customerId);
      const name = `${c?.firstName ?? ""} ${c?.lastName ?? ""}`.trim();
      const concierge = t.conciergeName || t.conciergeRole;
      return `- ${name || "(no name)"}${c?.email ? ` <${c.email}>` : ""}: ${t.contactedAt ? "contacted, no reply" : "never contacted"} (concierge: ${concierge}; perk: ${t.perkText})`;
    });
    await deps.mailer.sendMail({
      from: deps.from,
      to,
      subject: `${tasks.length} VIP ${tasks.length === 1 ? "customer needs" : "customers need"} you: no reply to the win-back check-in`,
      text: [
        `These VIP customers did not answer their personal check-in by the follow-up date and grace period, so they were escalated to you:`,
        "",
        ...lines,
        "",
        `Open the outreach queue: ${deps.appAdminUrl(shop)}`,
      ].join("\n"),
    });
    sent.push({ to, count: tasks.length });
  }
  return sent;
}
