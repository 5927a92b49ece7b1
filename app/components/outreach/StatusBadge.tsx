import { Badge } from "@shopify/polaris";
import type { BadgeProps } from "@shopify/polaris";

type Status = "to_contact" | "contacted" | "follow_up_due" | "responded" | "won_back" | "escalated";

export const STATUS_OPTIONS: Array<{ label: string; value: Status }> = [
  { label: "To contact", value: "to_contact" },
  { label: "Contacted", value: "contacted" },
  { label: "Follow-up due", value: "follow_up_due" },
  { label: "Responded", value: "responded" },
  { label: "Won back", value: "won_back" },
  { label: "Escalated", value: "escalated" },
];

const LOOK: Record<Status, Pick<BadgeProps, "tone" | "progress">> = {
  to_contact: { tone: "attention", progress: "incomplete" },
  contacted: { tone: "info", progress: "partiallyComplete" },
  follow_up_due: { tone: "warning", progress: "partiallyComplete" },
  responded: { tone: "success", progress: "partiallyComplete" },
  won_back: { tone: "success", progress: "complete" },
  escalated: { tone: "critical", progress: "incomplete" },
};

export function StatusBadge({ status }: { status: Status }) {
  const label = STATUS_OPTIONS.find((s) => s.value === status)?.label ?? status;
  return <Badge {...LOOK[status]}>{label}</Badge>;
}
