import { autoEscalate, markWonBack } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { firstPurchasesInWindows } from "../sync/store/purchases";
import { AWAITING_RESPONSE, escalationCandidates, lockTask, persistTransition, toVipTask, unfinishedTasks, vipSettingsOf } from "./store";

export interface EscalationRun {
  followUpDue: number;
  escalated: Array<{ taskId: string; customerId: string; escalatedTo: string | null }>;
}

/**
 * The time-driven moves for one shop: contacted tasks reach follow_up_due at their follow-up date,
 * and tasks without a response past follow-up + grace go to the owner. Decided by the domain's
 * autoEscalate per task, so running it twice (retried job, two workers) changes nothing the second time.
 */
export async function runEscalations(sql: Sql, shop: string, now: Date): Promise<EscalationRun> {
  const out: EscalationRun = { followUpDue: 0, escalated: [] };
  let after = "";
  for (;;) {
    // Candidates only; the domain decides. Keyset by id because follow_up_due tasks stay candidates.
    const batch = await escalationCandidates(sql, shop, now, after);
    if (!batch.length) break;
    after = batch[batch.length - 1]!;
    for (const id of batch) {
      await sql.transaction(async (tx) => {
        const row = await lockTask(tx, shop, id);
        if (!AWAITING_RESPONSE.includes(row.status)) return;
        const next = autoEscalate(toVipTask(row), now, vipSettingsOf(row));
        if (next.status === row.status) return;
        await persistTransition(tx, row, next, now);
        if (next.history.slice(row.history.length).some((e) => e.to === "follow_up_due")) out.followUpDue++;
        if (next.status === "escalated") out.escalated.push({ taskId: row.id, customerId: row.customerId, escalatedTo: next.escalatedTo });
      });
    }
  }
  return out;
}

/**
 * Marks won_back every unfinished task (of one customer, or the whole shop) whose customer placed a
 * qualifying order (not test, not cancelled) at or after the campaign's launch. Shared by the order
 * webhook hook and the sweeps after a sync, so an order that arrived before the task existed, or a
 * webhook that never came, still counts. Orders are read through the sync's store.
 */
export async function reconcileWonBack(
  sql: Sql,
  shop: string,
  now: Date,
  opts: { customerId?: string } = {},
): Promise<Array<{ taskId: string; orderId: string }>> {
  if (opts.customerId !== undefined && !/^\d+$/.test(opts.customerId))
    throw new AppError("INVALID_INPUT", `Not a customer id: ${opts.customerId}`);
  const open = await unfinishedTasks(sql, shop, opts.customerId ?? null);
  const firsts = await firstPurchasesInWindows(
    sql,
    shop,
    open.map((t) => ({ customerId: t.customerId, from: new Date(t.launchAt) })),
  );
  const found = open.flatMap((t, i) => (firsts[i] ? [{ key: t.id, orderId: firsts[i]!.orderId }] : []));
  const out: Array<{ taskId: string; orderId: string }> = [];
  for (const f of found) {
    const changed = await sql.transaction(async (tx) => {
      const row = await lockTask(tx, shop, f.key);
      if (row.status === "won_back") return false;
      await persistTransition(tx, row, markWonBack(toVipTask(row), now, f.orderId), now);
      return true;
    });
    if (changed) out.push({ taskId: f.key, orderId: f.orderId });
  }
  return out;
}
