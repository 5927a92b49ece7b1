// Relay connections with Shopify-style opaque cursors (base64 JSON {last_id, last_value}).
import { GraphQLError } from "graphql";

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
}

export function encodeCursor(id: number, value: number | string): string {
  return Buffer.from(JSON.stringify({ last_id: id, last_value: value })).toString("base64");
}

export function decodeCursor(c: string): { last_id: number; last_value: number | string } {
  try {
    const j = JSON.parse(Buffer.from(c, "base64").toString("utf8"));
    if (typeof j.last_id !== "number") throw new Error("bad");
    return j;
  } catch {
    throw new GraphQLError(`Invalid cursor for current pagination sort.`, { extensions: { code: "BAD_REQUEST" } });
  }
}

export function checkPageSize(args: ConnectionArgs, max = 250) {
  if (args.first == null && args.last == null) {
    throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
  }
  for (const k of ["first", "last"] as const) {
    const v = args[k];
    if (v != null && (v < 0 || v > max)) {
      throw new GraphQLError(`The ${k} argument must be between 0 and ${max}.`, { extensions: { code: "BAD_REQUEST" } });
    }
  }
}

/**
 * Builds a connection over `items` (already filtered and sorted ascending by (key, id)).
 * `reverse` flips the order. Items are mapped lazily to nodes.
 */
export function connection<T>(
  items: ArrayLike<number>,
  args: ConnectionArgs,
  key: (i: number) => number | string,
  id: (i: number) => number,
  node: (i: number) => T,
  opts: { max?: number; unbounded?: boolean } = {},
) {
  if (!opts.unbounded) checkPageSize(args, opts.max);
  const n = items.length;
  const at = (pos: number) => (args.reverse ? items[n - 1 - pos]! : items[pos]!);
  const cmp = (i: number, c: { last_id: number; last_value: number | string }) => {
    const k = key(i);
    const d = k < c.last_value ? -1 : k > c.last_value ? 1 : id(i) - c.last_id;
    return args.reverse ? -d : d;
  };
  let lo = 0;
  let hi = n; // [lo, hi) in iteration order
  if (args.after) {
    const c = decodeCursor(args.after);
    // first position strictly after the cursor
    let a = 0,
      b = n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (cmp(at(m), c) <= 0) a = m + 1;
      else b = m;
    }
    lo = a;
  }
  if (args.before) {
    const c = decodeCursor(args.before);
    let a = 0,
      b = n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (cmp(at(m), c) < 0) a = m + 1;
      else b = m;
    }
    hi = Math.max(lo, a);
  }
  let start = lo;
  let end = hi;
  if (args.first != null) end = Math.min(end, start + args.first);
  if (args.last != null) start = Math.max(start, end - args.last);
  const positions: number[] = [];
  for (let p = start; p < end; p++) positions.push(at(p));
  const edges = positions.map((i) => ({
    get cursor() {
      return encodeCursor(id(i), key(i));
    },
    get node() {
      return node(i);
    },
  }));
  return {
    __typename: "Connection",
    edges,
    get nodes() {
      return positions.map(node);
    },
    pageInfo: {
      hasNextPage: end < n,
      hasPreviousPage: start > 0,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges[edges.length - 1]?.cursor ?? null;
      },
    },
  };
}
