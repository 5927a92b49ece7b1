import { stripNul } from "./text";

/**
 * Text a spreadsheet could run as a formula. Excel, LibreOffice and Google Sheets skip leading
 * whitespace and line breaks before looking for `=`, `+`, `-` or `@` (so `"\n=1+2"` is a formula
 * too), and some apps drop a leading tab/CR/LF before checking; the full-width forms (＝ ＋ － ＠)
 * are normalised to ASCII by some locales' input handling. OWASP's CSV-injection guidance covers
 * = + - @ TAB CR; LF and other leading whitespace are added because of the `"\n=1+2"` finding.
 */
// eslint-disable-next-line no-control-regex -- leading control characters are part of the formula-injection check
const FORMULA_START = /^[\s\u0000-\u001f]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n]/;

/** True when a text cell would be read as a formula (and so gets a leading apostrophe). */
export function looksLikeFormula(s: string): boolean {
  return FORMULA_START.test(s);
}

/**
 * The one CSV cell rule (RFC 4180) of every export, safe to open in a spreadsheet: NUL is removed
 * (lib/text's one string rule: a NUL in a stream cuts some readers and PostgreSQL-bound re-imports);
 * text that would run as a formula gets a leading apostrophe; numbers are written as numbers
 * (non-finite ones as empty cells); quotes, commas, CR, LF and edge whitespace force quoting.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "bigint") return String(v);
  let s = stripNul(String(v));
  if (typeof v === "string" && looksLikeFormula(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, without its line terminator. */
export function csvRecord(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(",");
}

/**
 * The per-customer columns of `winback analyze --customers-out`; the app's segment export starts with the same.
 * The buy probability's column names its horizon (p_buy_within_91d): a probability without its window is
 * not a number anyone can check (ADR 082).
 */
export function customerScoreColumns(horizonDays: number): string[] {
  return [
    "customer_id",
    "orders",
    "total_spent",
    "aov",
    "first_order_date",
    "last_order_date",
    "purchase_days",
    "days_since_last_order",
    "median_gap_days",
    "class",
    "overdue",
    "vip",
    "target",
    "branch",
    `p_buy_within_${horizonDays}d`,
    "expected_purchases_90d",
    "expected_order_value",
    "predicted_12m_value",
    "expected_next_order_date",
    "churn_risk",
  ];
}
