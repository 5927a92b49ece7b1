import { AppError } from "../../lib/errors";
import type { CampaignSettings } from "./settings";

export interface DeliveryCounts {
  deliveries: number;
  unsubscribes: number;
  complaints: number;
}

export type GuardrailReason =
  { metric: "unsubscribe_rate"; rate: number; limit: number } | { metric: "complaint_rate"; rate: number; limit: number };

export interface GuardrailResult {
  status: "ok" | "pause";
  reasons: GuardrailReason[];
  unsubscribeRate: number | null;
  complaintRate: number | null;
  /** false while deliveries < minDeliveries: rates are shown but never pause a campaign */
  evaluated: boolean;
}

/**
 * Pauses when a rate strictly exceeds its limit. Below the minimum delivery count a single complaint
 * would look like a catastrophic rate, so the campaign keeps running until the sample means something.
 */
export function evaluateGuardrails(counts: DeliveryCounts, settings: Pick<CampaignSettings, "guardrails">): GuardrailResult {
  for (const [k, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new AppError("INVALID_INPUT", `${k} must be a non-negative integer`);
  }
  const { deliveries, unsubscribes, complaints } = counts;
  const g = settings.guardrails;
  const unsubscribeRate = deliveries > 0 ? unsubscribes / deliveries : null;
  const complaintRate = deliveries > 0 ? complaints / deliveries : null;
  const evaluated = deliveries >= g.minDeliveries;
  const reasons: GuardrailReason[] = [];
  if (evaluated) {
    if (unsubscribeRate! > g.maxUnsubscribeRate)
      reasons.push({ metric: "unsubscribe_rate", rate: unsubscribeRate!, limit: g.maxUnsubscribeRate });
    if (complaintRate! > g.maxComplaintRate) reasons.push({ metric: "complaint_rate", rate: complaintRate!, limit: g.maxComplaintRate });
  }
  return { status: reasons.length ? "pause" : "ok", reasons, unsubscribeRate, complaintRate, evaluated };
}
