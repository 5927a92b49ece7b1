import { CartesianGrid, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { BlockStack, Card, Text } from "@shopify/polaris";
import { SizedChart } from "../charts/SizedChart";
import { useFormat } from "../FormatProvider";

export interface ReliabilityPoint {
  predicted: number;
  observed: number;
  customers: number;
}

export interface ReliabilityChartProps {
  horizonDays: number;
  /** Length of the inner split the deciles come from (shorter than the horizon on young shops). */
  trainedDays: number;
  cut: string;
  asOf: string;
  reliability: ReliabilityPoint[];
  /** Signals beyond purchase history the score learnt from (ADR 110): "discount" | "refund" | "click". */
  signals?: string[];
}

const SIGNAL_WORDS: Record<string, string> = { discount: "discount code use", refund: "refunds", click: "clicks in your emails" };
const listed = (words: string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}` : (words[0] ?? "");

/**
 * Predicted vs observed chance of ordering, by decile of the prediction, on the latest analysis's inner
 * split: customers as of `cut`, each scored by a combiner that did not see them, against whether they
 * ordered by `asOf` (ADR 082). Points on the diagonal mean the percentages shown can be taken at face value.
 */
export function ReliabilityChart({ horizonDays, trainedDays, cut, asOf, reliability, signals = [] }: ReliabilityChartProps) {
  const f = useFormat();
  const pct = (v: number) => f.percent(v, 0);
  const data = reliability.map((b) => ({ predicted: b.predicted, observed: b.observed, customers: b.customers }));
  const top = Math.min(1, Math.ceil(Math.max(0.1, ...reliability.flatMap((b) => [b.predicted, b.observed])) * 10) / 10);
  // explicit ticks with interval 0: the browser must draw the same ticks as the server (charts-ssr test)
  const step = top > 0.5 ? 0.2 : 0.1;
  const ticks = Array.from({ length: Math.floor(top / step + 1e-9) + 1 }, (_, i) => Math.round(i * step * 100) / 100);
  const error = reliability.length ? reliability.reduce((e, b) => e + Math.abs(b.predicted - b.observed), 0) / reliability.length : 0;
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">
          How reliable is the chance of ordering?
        </Text>
        <SizedChart height={240} id="reliability-chart" label="Predicted against observed chance of ordering, by tenth of customers">
          {(size) => (
            <ScatterChart {...size} margin={{ top: 12, right: 16, bottom: 16, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="predicted"
                type="number"
                domain={[0, top]}
                ticks={ticks}
                interval={0}
                tickFormatter={pct}
                label={{ value: "predicted", position: "insideBottom", offset: -8 }}
              />
              <YAxis dataKey="observed" type="number" domain={[0, top]} ticks={ticks} interval={0} tickFormatter={pct} width={44} />
              <Tooltip formatter={(v, name) => [name === "customers" ? f.number(Number(v)) : pct(Number(v)), String(name)]} />
              <ReferenceLine
                segment={[
                  { x: 0, y: 0 },
                  { x: top, y: top },
                ]}
                stroke="#8a8a8a"
                strokeDasharray="4 2"
                ifOverflow="hidden"
              />
              <Scatter data={data} fill="#2c6ecb" isAnimationActive={false} />
            </ScatterChart>
          )}
        </SizedChart>
        <Text as="p" tone="subdued" variant="bodySm">
          {`Each dot is a tenth of the ${f.number(reliability.reduce((n, b) => n + b.customers, 0))} customers of ${cut}: the chance of ordering ` +
            `within ${trainedDays} days the score gave them without seeing what they did, against the share who ordered by ${asOf}. ` +
            `Average gap ${pct(error)}. ` +
            (trainedDays < horizonDays
              ? `The history is too short to check the full ${horizonDays}-day horizon; beyond ${trainedDays} days the purchase model carries the score.`
              : `The score's ${horizonDays}-day horizon was checked in full.`)}
        </Text>
        <Text as="p" tone="subdued" variant="bodySm">
          {signals.length
            ? `Besides order history, the score learnt from ${listed(signals.map((s) => SIGNAL_WORDS[s] ?? s))}.`
            : "The score learnt from order history only: this shop has too few discount codes, refunds or email clicks to learn from yet."}
        </Text>
      </BlockStack>
    </Card>
  );
}
