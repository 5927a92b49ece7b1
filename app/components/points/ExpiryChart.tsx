import { useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";

export interface ExpiryWeekView {
  weekStart: string;
  points: number;
  value: number;
  lots: number;
}

const HEIGHT = 240;
const nf = (n: number) => n.toLocaleString("en-US");

function useMounted() {
  const [m, setM] = useState(false);
  useEffect(() => setM(true), []);
  return m;
}

/**
 * Upcoming expiries by week (Monday, UTC). Recharts draws only after mounting, so the server sends
 * a fixed-height box and a text summary: no layout shift, numbers readable without JavaScript.
 */
export function ExpiryChart({ weeks, formatMoney }: { weeks: ExpiryWeekView[]; formatMoney: (n: number) => string }) {
  const mounted = useMounted();
  const data = weeks.map((w) => ({ ...w, label: new Date(`${w.weekStart}T00:00:00Z`).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" }) }));
  const total = weeks.reduce((s, w) => s + w.points, 0);
  const peak = weeks.reduce<ExpiryWeekView | null>((a, w) => (!a || w.points > a.points ? w : a), null);
  return (
    <BlockStack gap="200">
      <div style={{ height: HEIGHT }} id="points-expiry-chart" aria-label="Points expiring per week">
        {mounted ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart data={data} margin={{ top: 16, right: 16, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" />
              <YAxis allowDecimals={false} width={56} />
              <Tooltip formatter={(v, _n, p) => [`${nf(Number(v))} points · ${formatMoney((p?.payload as ExpiryWeekView | undefined)?.value ?? 0)}`, "expiring"]} labelFormatter={(l) => `Week of ${String(l)}`} />
              <Bar dataKey="points" fill="#b98900" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      <Text as="p" tone="subdued" variant="bodySm">
        {nf(total)} points expire in the next {weeks.length} weeks
        {peak && peak.points > 0 ? `; the most in the week of ${peak.weekStart} (${nf(peak.points)} points, ${formatMoney(peak.value)}).` : "."}
      </Text>
    </BlockStack>
  );
}
