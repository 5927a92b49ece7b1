import { useEffect, useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";

export interface SeriesPoint {
  day: number;
  treated: number | null;
  holdout: number | null;
}

const HEIGHT = 280;
const pct = (v: number | null | undefined) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);

// Recharts 3 renders its SVG after mounting only; the fixed-height box and the text summary keep the
// server markup meaningful and the layout still.
function useMounted() {
  const [m, setM] = useState(false);
  useEffect(() => setM(true), []);
  return m;
}

export function ReactivationChart({ series }: { series: SeriesPoint[] }) {
  const mounted = useMounted();
  const last = series[series.length - 1];
  const data = series.map((p) => ({ day: p.day, Treated: p.treated == null ? null : p.treated * 100, Holdout: p.holdout == null ? null : p.holdout * 100 }));
  return (
    <BlockStack gap="200">
      <div style={{ height: HEIGHT }} id="reactivation-chart" aria-label="Cumulative reactivation by day since launch, treated vs holdout">
        {mounted ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <LineChart data={data} margin={{ top: 12, right: 16, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" type="number" allowDecimals={false} domain={[0, Math.max(1, series.length - 1)]} tickFormatter={(d: number) => `Day ${d}`} />
              <YAxis width={48} tickFormatter={(v: number) => `${v.toFixed(0)}%`} />
              <Tooltip formatter={(v) => `${Number(v).toFixed(1)}%`} labelFormatter={(d) => `Day ${d} since launch`} />
              <Legend />
              <Line type="stepAfter" dataKey="Treated" stroke="#2c6ecb" strokeWidth={2} dot={false} isAnimationActive={false} />
              <Line type="stepAfter" dataKey="Holdout" stroke="#8a8a8a" strokeWidth={2} strokeDasharray="5 3" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      <Text as="p" tone="subdued" variant="bodySm">
        Share of each group with an order, by day since launch{last ? ` (day ${last.day}: treated ${pct(last.treated)}, holdout ${pct(last.holdout)})` : ""}.
      </Text>
    </BlockStack>
  );
}
