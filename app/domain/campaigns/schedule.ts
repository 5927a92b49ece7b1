import { AppError } from "../../lib/errors";
import type { CampaignSettings } from "./settings";
import type { Segment } from "./plan";
import { DAY_MS } from "../analytics/dates";

const HOUR_MS = 3_600_000;

export interface TouchStep {
  /** 0-based position in the branch's sequence */
  step: number;
  /** days after launch */
  day: number;
  dueAt: Date;
}

export function touchSchedule(launchAt: Date, branch: Segment, settings: Pick<CampaignSettings, "vip" | "standard">): TouchStep[] {
  const days = branch === "VIP" ? settings.vip.touchDays : settings.standard.touchDays;
  return days.map((day, step) => ({ step, day, dueAt: new Date(launchAt.getTime() + day * DAY_MS) }));
}

export type CampaignStatus = "draft" | "scheduled" | "active" | "paused" | "completed" | "cancelled";

export interface CustomerTouchState {
  ordered?: boolean;
  unsubscribed?: boolean;
  /** holdout customers are measured, never messaged */
  inHoldout?: boolean;
}

export type ExitReason = "ordered" | "unsubscribed" | "holdout" | "campaign_ended";
export type SkipReason = "campaign_not_started";
export type HoldReason = "campaign_paused";
export type DeferReason = "not_due" | "frequency_cap";

export type TouchDecision =
  | { action: "send" }
  /** this touch is dropped; later touches of the sequence are still evaluated */
  | { action: "skip"; reason: SkipReason }
  /** the campaign is paused: the touch waits (held) and goes out when the merchant resumes */
  | { action: "hold"; reason: HoldReason }
  /** the customer leaves the campaign; no further touches */
  | { action: "exit"; reason: ExitReason }
  /** ask again at `until` */
  | { action: "defer"; reason: DeferReason; until: Date };

export interface TouchDecisionInput {
  customerState: CustomerTouchState;
  campaignStatus: CampaignStatus;
  /** last marketing message to this customer from any campaign */
  lastMessageAt: Date | null;
  now: Date;
  /** the step's due time; a touch asked about early is deferred */
  dueAt?: Date;
  settings?: Pick<CampaignSettings, "frequencyCapHours">;
}

/**
 * Exit rules come first (an order or unsubscribe beats everything), then campaign state, then timing.
 * A frequency-capped touch is deferred rather than dropped: the message still matters, it just must
 * not land within the cap of another campaign's message.
 */
export function nextTouchDecision(input: TouchDecisionInput): TouchDecision {
  const { customerState: c, campaignStatus, lastMessageAt, now } = input;
  const capHours = input.settings?.frequencyCapHours ?? 48;
  if (!(capHours >= 0)) throw new AppError("INVALID_INPUT", "frequencyCapHours must be >= 0");
  if (c.ordered) return { action: "exit", reason: "ordered" };
  if (c.unsubscribed) return { action: "exit", reason: "unsubscribed" };
  if (c.inHoldout) return { action: "exit", reason: "holdout" };
  if (campaignStatus === "completed" || campaignStatus === "cancelled") return { action: "exit", reason: "campaign_ended" };
  if (campaignStatus === "paused") return { action: "hold", reason: "campaign_paused" };
  if (campaignStatus === "draft" || campaignStatus === "scheduled") return { action: "skip", reason: "campaign_not_started" };
  if (input.dueAt && now.getTime() < input.dueAt.getTime()) return { action: "defer", reason: "not_due", until: input.dueAt };
  if (lastMessageAt) {
    const until = lastMessageAt.getTime() + capHours * HOUR_MS;
    if (now.getTime() < until) return { action: "defer", reason: "frequency_cap", until: new Date(until) };
  }
  return { action: "send" };
}
