/** Adds origins to the frame-ancestors directive the Shopify library set, if it set one. */
export function allowExtraFrameAncestors(headers: Headers, extra: string | undefined) {
  const csp = headers.get("Content-Security-Policy");
  if (!extra?.trim() || !csp?.includes("frame-ancestors")) return;
  headers.set(
    "Content-Security-Policy",
    csp.replace(/frame-ancestors ([^;]*);?/, (_m, list: string) => `frame-ancestors ${list} ${extra.trim()};`),
  );
}
