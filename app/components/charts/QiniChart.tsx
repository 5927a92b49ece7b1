import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";
import { SizedChart } from "./SizedChart";
import { useFormat } from "../FormatProvider";

export interface QiniPointView {
  /** share of the held-out customers reached, 0..1 */
  share: number;
  /** incremental revenue among them (treated − holdout, scaled to their number), ranked by expected incremental profit */
  profit: number;
  /** the same, ranked by churn risk */
  risk: number;
}

/**
 * Qini curves (ADR 100): past customers the model was not fitted on, ranked by expected incremental
 * profit and by churn risk; at each share reached, the incremental revenue among those reached, as a
 * campaign measures it (treated minus holdout). The higher curve finds more of the customers the
 * offer changes; the vertical line is this plan's budget.
 */
export function QiniChart({ curve, budgetShare }: { curve: QiniPointView[]; budgetShare: number }) {
  const f = useFormat();
  const data = curve.map((p) => ({
    share: Math.round(p.share * 1000) / 10,
    "Expected incremental profit": Math.round(p.profit * 100) / 100,
    "Churn risk": Math.round(p.risk * 100) / 100,
  }));
  const ticks = [0, 20, 40, 60, 80, 100];
  return (
    <BlockStack gap="200">
      <SizedChart
        height={260}
        id="qini-chart"
        label="Incremental revenue by share of past customers reached, ranked by expected incremental profit and by churn risk"
      >
        {(size) => (
          <LineChart {...size} data={data} margin={{ top: 12, right: 16, bottom: 16, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="share"
              type="number"
              domain={[0, 100]}
              ticks={ticks}
              interval={0}
              tickFormatter={(v: number) => `${v}%`}
              label={{ value: "share of customers reached", position: "insideBottom", offset: -8 }}
            />
            <YAxis width={64} interval={0} tickFormatter={(v: number) => f.money(v, { whole: true })} />
            <Tooltip formatter={(v) => f.money(Number(v))} labelFormatter={(s) => `Top ${s}% reached`} />
            <Legend verticalAlign="top" />
            <ReferenceLine x={Math.round(budgetShare * 1000) / 10} stroke="#8a8a8a" strokeDasharray="4 2" ifOverflow="extendDomain" />
            <Line
              type="linear"
              dataKey="Expected incremental profit"
              stroke="#2c6ecb"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="Churn risk"
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
        Past customers the model did not learn from, ranked each way; at each share reached, the revenue of the treated among them minus the
        holdout&apos;s (scaled to the same number). The dashed line is this plan&apos;s budget.
      </Text>
    </BlockStack>
  );
}
