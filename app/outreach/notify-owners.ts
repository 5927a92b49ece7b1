import type { Sql } from "../db/sql";
import { isSingleEmailAddress } from "../lib/email-address";
import type { EscalationRun } from "./move-task";

/** The part of a nodemailer Transporter the owner notice needs. */
export interface OwnerMailer {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
}

/**
 * Tells each owner (the `vip.owner` setting, when it is exactly one email address: lib/email-address,
 * checked again here because a list such as "a@x.com, b@y.com" would fan out to every address) which VIPs were just
 * escalated to them: one digest per owner and run. Sent after the escalations were committed, and a
 * rerun escalates nothing twice, so an owner gets each VIP at most once (a crash between commit and
 * send loses the mail; the Outreach page's banner still shows it).
 */
export async function notifyOwners(
  deps: { sql: Sql; mailer: OwnerMailer; from: string; appAdminUrl: (shop: string) => string },
  shop: string,
  escalated: EscalationRun["escalated"],
): Promise<Array<{ to: string; count: number }>> {
  const byOwner = new Map<string, string[]>();
  for (const e of escalated) {
    const to = e.escalatedTo?.trim();
    if (!to || !isSingleEmailAddress(to)) continue;
    byOwner.set(to, [...(byOwner.get(to) ?? []), e.taskId]);
  }
  const sent: Array<{ to: string; count: number }> = [];
  for (const [to, taskIds] of byOwner) {
    const rows = await deps.sql.query<{ name: string; email: string | null; perkText: string; concierge: string; contactedAt: Date | null }>(
      `SELECT trim(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", '')) AS name, c.email, t."perkText",
              coalesce(nullif(t."conciergeName", ''), t."conciergeRole") AS concierge, t."contactedAt"
         FROM "OutreachTask" t LEFT JOIN "Customer" c ON c.shop = t.shop AND c.id = t."customerId"
        WHERE t.shop = $1 AND t.id = ANY($2::text[]) ORDER BY c."totalSpent" DESC NULLS LAST, t.id`,
      [shop, taskIds],
    );
    const lines = rows.map((r) => `- ${r.name || "(no name)"}${r.email ? ` <${r.email}>` : ""}: ${r.contactedAt ? "contacted, no reply" : "never contacted"} (concierge: ${r.concierge}; perk: ${r.perkText})`);
    await deps.mailer.sendMail({
      from: deps.from,
      to,
      subject: `${rows.length} VIP ${rows.length === 1 ? "customer needs" : "customers need"} you: no reply to the win-back check-in`,
      text: [
        `These VIP customers did not answer their personal check-in by the follow-up date and grace period, so they were escalated to you:`,
        "",
        ...lines,
        "",
        `Open the outreach queue: ${deps.appAdminUrl(shop)}`,
      ].join("\n"),
    });
    sent.push({ to, count: rows.length });
  }
  return sent;
}
