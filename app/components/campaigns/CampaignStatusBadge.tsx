import { Badge } from "@shopify/polaris";

const TONES: Record<
  string,
  {
    tone?: "success" | "info" | "attention" | "critical" | "warning";
    label: string;
    progress?: "incomplete" | "partiallyComplete" | "complete";
  }
> = {
  draft: { label: "Draft", progress: "incomplete" },
  launching: { tone: "info", label: "Launching", progress: "partiallyComplete" },
  active: { tone: "success", label: "Active", progress: "complete" },
  paused: { tone: "warning", label: "Paused" },
  completed: { label: "Completed", progress: "complete" },
  stopped: { tone: "critical", label: "Stopped", progress: "complete" },
};

export function CampaignStatusBadge({ status, failed }: { status: string; failed?: boolean }) {
  if (status === "launching" && failed) return <Badge tone="critical">Launch stopped</Badge>;
  const t = TONES[status] ?? { label: status };
  return (
    <Badge tone={t.tone} progress={t.progress}>
      {t.label}
    </Badge>
  );
}
