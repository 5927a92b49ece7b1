import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";
import { SizedChart } from "../charts/SizedChart";
import { useFormat } from "../FormatProvider";

export interface ExpiryWeekView {
  weekStart: string;
  points: number;
  value: number;
  lots: number;
}

const HEIGHT = 240;

/**
 * Every axis has a numeric `interval` (see SizedChart): about ten week labels fit the chart.
 */
const labelInterval = (n: number) => Math.max(0, Math.ceil(n / 10) - 1);

/**
 * Upcoming expiries by week (Monday, UTC), with a text summary of the same numbers.
 */
export function ExpiryChart({ weeks, formatMoney }: { weeks: ExpiryWeekView[]; formatMoney: (n: number) => string }) {
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const data = weeks.map((w) => ({ ...w, label: f.calendarDay(w.weekStart) }));
  const total = weeks.reduce((s, w) => s + w.points, 0);
  const peak = weeks.reduce<ExpiryWeekView | null>((a, w) => (!a || w.points > a.points ? w : a), null);
  return (
    <BlockStack gap="200">
      <SizedChart height={HEIGHT} id="points-expiry-chart" label="Points expiring per week">
        {(size) => (
          <BarChart {...size} data={data} margin={{ top: 16, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" interval={labelInterval(data.length)} />
            <YAxis allowDecimals={false} width={56} interval={0} />
            <Tooltip
              formatter={(v, _n, p) => [
                `${nf(Number(v))} points · ${formatMoney((p?.payload as ExpiryWeekView | undefined)?.value ?? 0)}`,
                "expiring",
              ]}
              labelFormatter={(l) => `Week of ${String(l)}`}
            />
            <Bar dataKey="points" fill="#b98900" isAnimationActive={false} />
          </BarChart>
        )}
      </SizedChart>
      <Text as="p" tone="subdued" variant="bodySm">
        {nf(total)} points expire in the next {weeks.length} weeks
        {peak && peak.points > 0
          ? `; the most in the week of ${peak.weekStart} (${nf(peak.points)} points, ${formatMoney(peak.value)}).`
          : "."}
      </Text>
    </BlockStack>
  );
}
