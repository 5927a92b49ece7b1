import { measureProgram, type ProgramMeasurement } from "../domain/campaigns/program-measure";
import type { CampaignMessageCounts } from "../messaging/types";
import type { CampaignDeps } from "./deps";
import { discountCost } from "./measure";
import { programMemberWindows, type ProgramRow } from "./store";
import { purchaseTotalsInWindows } from "../sync/store/purchases";
import { DAY_MS } from "../domain/analytics/dates";

export interface ProgramReport {
  measurement: ProgramMeasurement;
  deliveries: CampaignMessageCounts;
  discountCostMethod: string;
}

/**
 * A program measured over each member's own window (ADR 078): weekly cohorts, the rolling lift with
 * its interval, incremental revenue and the code's cost, from our copy of the orders. The discount
 * cost counts treated members' redemptions of the program code, derived from the code's terms as a
 * campaign's is (measure.ts discountCost).
 */
export async function measureProgramRow(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: ProgramRow): Promise<ProgramReport> {
  const windowDays = c.settings.reactivationWindowDays;
  const members = await programMemberWindows(deps.sql, c.id);
  const totals = await purchaseTotalsInWindows(
    deps.sql,
    c.shop,
    members.map((m) => ({ customerId: m.customerId, from: m.assignedAt, to: new Date(m.assignedAt.getTime() + windowDays * DAY_MS) })),
    c.discountCode,
  );
  const rows = members.map((m, i) => {
    const t = totals[i]!;
    return { ...m, firstAt: t.firstAt, revenue: Number(t.revenue), redemptions: t.redemptions, redeemedTotal: Number(t.redeemedTotal) };
  });
  let redemptions = 0;
  let redeemedPaid = 0;
  for (const r of rows) {
    if (r.holdout) continue;
    redemptions += r.redemptions;
    redeemedPaid += r.redeemedTotal;
  }
  const { cost, method } = discountCost(c, redemptions, redeemedPaid);
  const measurement = measureProgram(
    rows.map((r) => ({ assignedAt: r.assignedAt, holdout: r.holdout, firstOrderAt: r.firstAt, revenue: r.revenue })),
    { now: deps.now(), windowDays, discount: { redemptions, cost } },
  );
  return { measurement, deliveries: await deps.messageCounts(deps.sql, c.id), discountCostMethod: method };
}
