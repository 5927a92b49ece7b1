/**
 * The one rule for a qualifying order (not a test, not cancelled; its value is the current total),
 * as SQL over an "Order" row, optionally through a table alias. Every feature that counts purchases
 * (aggregates, analysis, campaign exits and measurement, outreach won-back, perks, baskets) uses it.
 */
export function qualifyingOrder(alias?: string): string {
  const col = (c: string) => (alias ? `${alias}.${c}` : c);
  return `NOT ${col("test")} AND ${col('"cancelledAt"')} IS NULL`;
}
