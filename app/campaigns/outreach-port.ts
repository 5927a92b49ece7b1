import { createOutreachTasks, firstEscalationAt, outreachTaskFor, scheduleEscalations } from "../outreach/create-tasks";
import type { OutreachPort } from "./deps";

/** The outreach feature seen through the campaign's port (its task view carries more than the note needs). */
export const outreachPort: OutreachPort = {
  createTasks: (sql, input) => createOutreachTasks(sql, input),
  scheduleEscalation: (queue, shop, launchAt, settings) => scheduleEscalations(queue, shop, firstEscalationAt(launchAt, settings)),
  async taskFor(sql, shop, campaignId, customerId) {
    const t = await outreachTaskFor(sql, shop, campaignId, customerId);
    return t ? { perk: t.perk.text, conciergeName: t.concierge.name, conciergeRole: t.concierge.role, script: t.script } : null;
  },
};
