/**
 * The one rule for a qualifying order (not a test, not cancelled; its value is the current total),
 * as SQL over an "Order" row, optionally through a table alias. The sync's aggregates and every
 * purchase function of its read API (store/purchases.ts) apply it, so other features never restate it.
 */
export function qualifyingOrder(alias?: string): string {
  const col = (c: string) => (alias ? `${alias}.${c}` : c);
  return `NOT ${col("test")} AND ${col('"cancelledAt"')} IS NULL`;
}
