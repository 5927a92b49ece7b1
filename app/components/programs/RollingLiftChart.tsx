import { Area, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";
import { SizedChart } from "../charts/SizedChart";
import { useFormat } from "../FormatProvider";

export interface LiftPointView {
  asOf: string;
  lift: number | null;
  ci: { low: number; high: number } | null;
  treated: { n: number };
  holdout: { n: number };
}

const HEIGHT = 280;

/**
 * The program's rolling 30-day lift (treated minus holdout reactivation, percentage points) at the
 * end of each week, with its 95% interval as a band: the merchant sees both the estimate and how
 * sure it is. Points are per week index so the axis interval is numeric (see SizedChart).
 */
export function RollingLiftChart({ points, windowDays }: { points: LiftPointView[]; windowDays: number }) {
  const f = useFormat();
  const pts = (v: number | null | undefined) => (v == null ? "–" : `${v >= 0 ? "+" : ""}${f.fixed(v, 1)} pts`);
  const data = points.map((p, i) => ({
    i,
    // asOf is a calendar date: noon UTC keeps it the same day in every shop zone.
    label: f.date(`${p.asOf}T12:00:00Z`),
    Lift: p.lift == null ? null : p.lift * 100,
    "95% interval": p.ci ? [p.ci.low * 100, p.ci.high * 100] : null,
  }));
  const last = points[points.length - 1];
  return (
    <BlockStack gap="200">
      <SizedChart
        height={HEIGHT}
        id="rolling-lift-chart"
        label={`Rolling ${windowDays}-day reactivation lift, treated minus holdout, with 95% confidence interval, by week`}
      >
        {(size) => (
          <ComposedChart {...size} data={data} margin={{ top: 12, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="i"
              type="number"
              allowDecimals={false}
              domain={[0, Math.max(1, data.length - 1)]}
              tickFormatter={(i: number) => data[i]?.label ?? ""}
              interval={0}
            />
            <YAxis width={56} interval={0} tickFormatter={(v: number) => `${f.fixed(v, 0)} pts`} />
            <Tooltip
              formatter={(v) => (Array.isArray(v) ? `${pts(Number(v[0]))} to ${pts(Number(v[1]))}` : pts(Number(v)))}
              labelFormatter={(i) => `Week ending ${data[Number(i)]?.label ?? ""}`}
            />
            <Legend />
            <ReferenceLine y={0} stroke="#8a8a8a" />
            <Area type="linear" dataKey="95% interval" stroke="none" fill="#2c6ecb" fillOpacity={0.15} isAnimationActive={false} />
            <Line type="linear" dataKey="Lift" stroke="#2c6ecb" strokeWidth={2} dot isAnimationActive={false} />
          </ComposedChart>
        )}
      </SizedChart>
      <Text as="p" tone="subdued" variant="bodySm">
        Customers count once their own {windowDays}-day window has closed.
        {last
          ? ` Latest: ${pts(last.lift == null ? null : last.lift * 100)} (95% CI ${pts(last.ci ? last.ci.low * 100 : null)} to ${pts(last.ci ? last.ci.high * 100 : null)}), ${f.number(last.treated.n)} treated vs ${f.number(last.holdout.n)} holdout.`
          : ""}
      </Text>
    </BlockStack>
  );
}
