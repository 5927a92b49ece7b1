/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: text that would run as a formula
 * (= + - @, and tab/CR which some apps strip before checking) gets a leading apostrophe; numbers
 * are written as numbers (non-finite ones as empty cells).
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, without its line terminator. */
export function csvRecord(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(",");
}

/** The per-customer columns of `winback analyze --customers-out`; the app's segment export starts with the same. */
export const CUSTOMER_SCORE_COLUMNS = [
  "customer_id", "orders", "total_spent", "aov", "first_order_date", "last_order_date", "purchase_days", "days_since_last_order",
  "median_gap_days", "class", "overdue", "vip", "target", "branch", "p_alive", "expected_purchases_90d", "expected_order_value",
  "predicted_12m_value", "expected_next_order_date", "churn_risk",
] as const;
