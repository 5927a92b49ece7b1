import { Bar, BarChart, CartesianGrid, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Text } from "@shopify/polaris";
import { SizedChart } from "../charts/SizedChart";
import { useFormat } from "../FormatProvider";

export interface Bin {
  from: number;
  to: number | null;
  count: number;
}

const HEIGHT = 260;

export function RecencyChart({
  bins,
  binDays,
  thresholds,
}: {
  bins: Bin[];
  binDays: number;
  thresholds: { atRisk: number; highRisk: number; lost: number };
}) {
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const last = bins[bins.length - 1];
  const max = last?.from ?? 0;
  const data = bins.map((b) => ({
    x: b.from + binDays / 2,
    count: b.count,
    label: b.to === null ? `${b.from}+ days` : `${b.from}–${b.to - 1} days`,
  }));
  const within = (lo: number, hi: number) =>
    bins.filter((b) => b.from >= lo && (hi === Infinity || b.from < hi)).reduce((a, b) => a + b.count, 0);
  return (
    <BlockStack gap="200">
      <SizedChart height={HEIGHT} id="recency-chart" label="Customers by days since last order">
        {(size) => (
          <BarChart {...size} data={data} margin={{ top: 16, right: 16, bottom: 4, left: 0 }} barCategoryGap={0}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="x"
              type="number"
              domain={[0, max + binDays]}
              ticks={[0, 90, 180, 365, 540, max]}
              interval={0}
              tickFormatter={(v: number) => (v === max ? `${max}+` : String(v))}
            />
            <YAxis allowDecimals={false} width={44} interval={0} />
            <Tooltip
              formatter={(v) => [nf(Number(v)), "customers"]}
              labelFormatter={(_l, p) => (p?.[0]?.payload as { label?: string } | undefined)?.label ?? ""}
            />
            <Bar dataKey="count" fill="#2c6ecb" isAnimationActive={false} />
            <ReferenceLine
              x={thresholds.atRisk}
              stroke="#b98900"
              strokeDasharray="4 2"
              label={{ value: `${thresholds.atRisk}`, position: "top", fill: "#b98900" }}
            />
            <ReferenceLine
              x={thresholds.highRisk}
              stroke="#e51c00"
              strokeDasharray="4 2"
              label={{ value: `${thresholds.highRisk}`, position: "top", fill: "#e51c00" }}
            />
            <ReferenceLine
              x={thresholds.lost}
              stroke="#616161"
              strokeDasharray="4 2"
              label={{ value: `${thresholds.lost}`, position: "top", fill: "#616161" }}
            />
          </BarChart>
        )}
      </SizedChart>
      <Text as="p" tone="subdued" variant="bodySm">
        Days since last order, {binDays}-day bars. Under {thresholds.atRisk} days: {nf(within(0, thresholds.atRisk))} · {thresholds.atRisk}–
        {thresholds.lost - 1}: {nf(within(thresholds.atRisk, thresholds.lost))} · {thresholds.lost}+:{" "}
        {nf(within(thresholds.lost, Infinity))}
      </Text>
    </BlockStack>
  );
}

export function ChurnRiskChart({ bins, horizonDays }: { bins: Bin[]; horizonDays?: number }) {
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const data = bins.map((b) => ({ label: `${Math.round(b.from * 100)}–${Math.round((b.to ?? 1) * 100)}%`, count: b.count }));
  const high = bins.filter((b) => b.from >= 0.7).reduce((a, b) => a + b.count, 0);
  const total = bins.reduce((a, b) => a + b.count, 0);
  return (
    <BlockStack gap="200">
      <SizedChart height={HEIGHT} id="churn-chart" label="Customers by churn risk">
        {(size) => (
          <BarChart {...size} data={data} margin={{ top: 16, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" interval={1} />
            <YAxis allowDecimals={false} width={44} interval={0} />
            <Tooltip formatter={(v) => [nf(Number(v)), "customers"]} />
            <Bar dataKey="count" fill="#8051ff" isAnimationActive={false} />
          </BarChart>
        )}
      </SizedChart>
      <Text as="p" tone="subdued" variant="bodySm">
        {horizonDays
          ? `Churn risk = chance the customer places no order within ${horizonDays} days. `
          : "Churn risk = chance the customer does not buy again soon. "}
        70 % or more: {nf(high)} of {nf(total)} customers.
      </Text>
    </BlockStack>
  );
}
