import { AppError } from "../../lib/errors";
import type { CampaignSettings } from "./settings";
import { DAY_MS } from "../analytics/dates";

export type VipTaskStatus = "to_contact" | "contacted" | "follow_up_due" | "responded" | "won_back" | "escalated";

/**
 * Allowed moves. won_back is the only terminal state: an escalated or responded customer can still
 * order. Escalation is allowed before first contact because a VIP nobody called is exactly what the
 * owner needs to hear about.
 */
export const VIP_TRANSITIONS: Readonly<Record<VipTaskStatus, readonly VipTaskStatus[]>> = {
  to_contact: ["contacted", "escalated", "won_back"],
  contacted: ["follow_up_due", "responded", "escalated", "won_back"],
  follow_up_due: ["responded", "escalated", "won_back"],
  responded: ["escalated", "won_back"],
  escalated: ["responded", "won_back"],
  won_back: [],
};

export interface VipTaskEvent {
  from: VipTaskStatus;
  to: VipTaskStatus;
  at: Date;
  note?: string;
}

export interface VipTask {
  id: string;
  campaignId: string;
  customerId: string;
  status: VipTaskStatus;
  createdAt: Date;
  contactedAt: Date | null;
  /** contactedAt + followUpDays */
  followUpAt: Date | null;
  escalatedTo: string | null;
  wonBackOrderId: string | null;
  history: VipTaskEvent[];
}

export function createVipTask(init: { id: string; campaignId: string; customerId: string; createdAt: Date }): VipTask {
  return { ...init, status: "to_contact", contactedAt: null, followUpAt: null, escalatedTo: null, wonBackOrderId: null, history: [] };
}

export function canTransition(from: VipTaskStatus, to: VipTaskStatus): boolean {
  return VIP_TRANSITIONS[from].includes(to);
}

/** Throws CONFLICT for a move the table does not allow (including to the same status). */
export function transitionVipTask(task: VipTask, to: VipTaskStatus, at: Date, note?: string): VipTask {
  if (!canTransition(task.status, to)) {
    throw new AppError("CONFLICT", `VIP task ${task.id}: cannot go from ${task.status} to ${to}`, {
      details: { taskId: task.id, from: task.status, to },
    });
  }
  const event: VipTaskEvent = note === undefined ? { from: task.status, to, at } : { from: task.status, to, at, note };
  return { ...task, status: to, history: [...task.history, event] };
}

export function markContacted(task: VipTask, at: Date, settings: Pick<CampaignSettings, "vip">, note?: string): VipTask {
  const next = transitionVipTask(task, "contacted", at, note);
  return { ...next, contactedAt: at, followUpAt: new Date(at.getTime() + settings.vip.followUpDays * DAY_MS) };
}

export function markResponded(task: VipTask, at: Date, note?: string): VipTask {
  return transitionVipTask(task, "responded", at, note);
}

export function escalate(task: VipTask, at: Date, settings: Pick<CampaignSettings, "vip">, note?: string): VipTask {
  return { ...transitionVipTask(task, "escalated", at, note), escalatedTo: settings.vip.owner || null };
}

/**
 * Called when the customer orders. Idempotent on won_back because order webhooks are replayed;
 * every other status may move to won_back.
 */
export function markWonBack(task: VipTask, at: Date, orderId?: string): VipTask {
  if (task.status === "won_back") return task;
  return { ...transitionVipTask(task, "won_back", at, orderId ? `order ${orderId}` : undefined), wonBackOrderId: orderId ?? null };
}

/** When a task without a response should go to the owner: follow-up date + grace (from creation if never contacted). */
export function escalationDueAt(task: VipTask, settings: Pick<CampaignSettings, "vip">): Date | null {
  const { followUpDays, graceDays } = settings.vip;
  if (task.status === "to_contact") return new Date(task.createdAt.getTime() + (followUpDays + graceDays) * DAY_MS);
  if (task.status === "contacted" || task.status === "follow_up_due") {
    return new Date(task.followUpAt!.getTime() + graceDays * DAY_MS);
  }
  return null;
}

/**
 * Time-driven moves, for a periodic job: contacted → follow_up_due at the follow-up date, then →
 * escalated once the grace period passed without a response. Returns the task unchanged when nothing is
 * due, so running it twice is harmless.
 */
export function autoEscalate(task: VipTask, now: Date, settings: Pick<CampaignSettings, "vip">): VipTask {
  let t = task;
  if (t.status === "contacted" && t.followUpAt && now.getTime() >= t.followUpAt.getTime()) {
    t = transitionVipTask(t, "follow_up_due", t.followUpAt);
  }
  const due = escalationDueAt(t, settings);
  if (due && now.getTime() >= due.getTime()) t = escalate(t, due, settings, "no response by follow-up date + grace");
  return t;
}
