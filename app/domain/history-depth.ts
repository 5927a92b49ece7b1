/**
 * How much order history the app can see. shopify.dev (Order object, "Only the last 60 days' worth of
 * orders from a store are accessible ... by default"; access scopes: read_all_orders): an app without
 * read_all_orders gets the last 60 days of orders and no error, so a sync "succeeds" on a cut
 * history and the analysis runs on it. Nothing in Shopify's answers says so; the app has to compare
 * what it was granted with what it got.
 */

export const ALL_ORDERS_SCOPE = "read_all_orders";
/** The default order window without read_all_orders (shopify.dev). */
export const DEFAULT_ORDER_WINDOW_DAYS = 60;
const DAY_MS = 86_400_000;
/** Slack for clocks and for orders processed a little before they were created. */
const SLACK_MS = 2 * DAY_MS;
/** How close to the window's start an oldest order must be to look like a cut (scopes unknown). */
const EDGE_MS = 3 * DAY_MS;

export type HistoryDepthState = "full" | "limited" | "unknown";

export interface HistoryDepthInput {
  /** The scopes Shopify granted (Shop.scopes, kept current by app/scopes_update), or null if not known. */
  grantedScopes: string[] | null;
  /** When the last completed full (initial) sync started, or null if none completed. */
  syncStartedAt: Date | null;
  /** The oldest order that sync brought in, or null if it brought none. */
  oldestOrderAt: Date | null;
}

export interface HistoryDepth {
  state: HistoryDepthState;
  /** Whether read_all_orders is among the granted scopes (null: scopes unknown). */
  hasAllOrdersScope: boolean | null;
  /** The oldest order date Shopify serves without read_all_orders, relative to the sync. */
  windowStart: Date | null;
  /** The synced orders reach back no further than the 60-day window. */
  oldestWithinWindow: boolean | null;
}

export function parseScopes(scopes: string | null | undefined): string[] | null {
  if (scopes == null) return null;
  return scopes
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * - read_all_orders granted: full history.
 * - Not granted: limited to 60 days. One exception: synced orders older than the window prove
 *   Shopify served full history (the stored scopes are stale), so it is full.
 * - Scopes unknown: limited if the oldest synced order sits at the window's edge (the shape a cut
 *   history has; a young shop's first order rarely lands there), otherwise unknown.
 */
export function assessHistoryDepth(input: HistoryDepthInput): HistoryDepth {
  const has = input.grantedScopes ? input.grantedScopes.includes(ALL_ORDERS_SCOPE) : null;
  const windowStart = input.syncStartedAt ? new Date(input.syncStartedAt.getTime() - DEFAULT_ORDER_WINDOW_DAYS * DAY_MS) : null;
  const within =
    windowStart && input.syncStartedAt
      ? input.oldestOrderAt == null || input.oldestOrderAt.getTime() >= windowStart.getTime() - SLACK_MS
      : null;
  let state: HistoryDepthState;
  if (has === true) state = "full";
  else if (has === false) state = within === false ? "full" : "limited";
  else {
    const atEdge = !!windowStart && !!input.oldestOrderAt && Math.abs(input.oldestOrderAt.getTime() - windowStart.getTime()) <= EDGE_MS;
    state = atEdge ? "limited" : "unknown";
  }
  return { state, hasAllOrdersScope: has, windowStart, oldestWithinWindow: within };
}
