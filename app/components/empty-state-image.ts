/**
 * Polaris' EmptyState requires an image. Shopify's examples point at an illustration on Shopify's
 * CDN; the app must not depend on the CDN (APP_BRIDGE_URL may point elsewhere, a strict network
 * blocks it), so every empty state uses this inline, invisible 1×1 SVG instead.
 */
export const EMPTY_STATE_IMAGE = "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>";
