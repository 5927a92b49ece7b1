import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";
import { SizedChart } from "../charts/SizedChart";
import { useFormat } from "../FormatProvider";

export interface SeriesPoint {
  day: number;
  treated: number | null;
  holdout: number | null;
}

const HEIGHT = 280;
export function ReactivationChart({ series }: { series: SeriesPoint[] }) {
  const f = useFormat();
  const pct = (v: number | null | undefined) => (v == null ? "–" : f.percent(v));
  const last = series[series.length - 1];
  const data = series.map((p) => ({
    day: p.day,
    Treated: p.treated == null ? null : p.treated * 100,
    Holdout: p.holdout == null ? null : p.holdout * 100,
  }));
  return (
    <BlockStack gap="200">
      <SizedChart height={HEIGHT} id="reactivation-chart" label="Cumulative reactivation by day since launch, treated vs holdout">
        {(size) => (
          <LineChart {...size} data={data} margin={{ top: 12, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="day"
              type="number"
              allowDecimals={false}
              domain={[0, Math.max(1, series.length - 1)]}
              tickFormatter={(d: number) => `Day ${d}`}
              interval={0}
            />
            <YAxis width={48} interval={0} tickFormatter={(v: number) => f.percent(v / 100, 0)} />
            <Tooltip formatter={(v) => f.percent(Number(v) / 100)} labelFormatter={(d) => `Day ${d} since launch`} />
            <Legend />
            <Line type="stepAfter" dataKey="Treated" stroke="#2c6ecb" strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line
              type="stepAfter"
              dataKey="Holdout"
              stroke="#8a8a8a"
              strokeWidth={2}
              strokeDasharray="5 3"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        )}
      </SizedChart>
      <Text as="p" tone="subdued" variant="bodySm">
        Share of each group with an order, by day since launch
        {last ? ` (day ${last.day}: treated ${pct(last.treated)}, holdout ${pct(last.holdout)})` : ""}.
      </Text>
    </BlockStack>
  );
}
