/**
 * The one string rule at every boundary (webhook bodies, JSONL lines, form fields, search boxes,
 * CSV cells, COPY rows): U+0000 is removed. PostgreSQL text cannot hold it ("invalid byte
 * sequence for encoding UTF8: 0x00"), so one NUL from Shopify or a merchant would otherwise fail
 * a whole batch, a webhook or a page. Nothing else is changed: no trimming, no normalisation.
 */
// eslint-disable-next-line no-control-regex -- NUL is what this module strips
const NUL = /\u0000/g;

export function stripNul(s: string): string {
  // indexOf first: the common case (no NUL) allocates nothing.
  return s.indexOf("\u0000") === -1 ? s : s.replace(NUL, "");
}

/** Parsed JSON (or any plain data) with NUL removed from every string, keys included. */
export function stripNulDeep<T>(value: T): T {
  if (typeof value === "string") return stripNul(value) as T;
  if (Array.isArray(value)) return value.map(stripNulDeep) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[stripNul(k)] = stripNulDeep(v);
    return out as T;
  }
  return value;
}

/**
 * JSON.parse with NUL removed. `\u0000` escapes are dropped from the raw text before parsing (a
 * cheap check keeps the common path a plain JSON.parse); a literal NUL byte is removed too.
 * An escaped backslash before "u0000" (`\\u0000`, a literal backslash followed by "u0000") is
 * text, not a NUL, and is kept.
 */
export function parseJsonClean(text: string): unknown {
  if (text.indexOf("\\u0000") === -1 && text.indexOf("\u0000") === -1) return JSON.parse(text);
  return stripNulDeep(JSON.parse(stripNul(text)));
}
