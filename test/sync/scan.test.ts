import { describe, expect, it } from "vitest";
import { parseJsonlBatch } from "../../app/shopify/jsonl/batch";
import { renderBatch, type RowTarget } from "../../app/sync/store/rows";
import { renderBatchBytes } from "../../app/sync/store/scan";

// ADR 107: the parse worker renders COPY text straight from the JSONL bytes (store/scan.ts) and
// hands every line it cannot be sure of to the original path. These tests hold it to exactly what
// the original path (parseJsonlBatch + renderBatch) gives for the same batch: the COPY text of each
// table, the counts, and the malformed lines' numbers and messages, for both targets, on valid
// lines and on many thousands of randomly damaged ones.

const targets: RowTarget[] = [
  { kind: "staged", runId: "run-1", shop: "a.myshopify.com" },
  { kind: "live", shop: "a.myshopify.com" },
];

const order = (n: number, over: Record<string, unknown> = {}) => ({
  id: `gid://shopify/Order/${n}`,
  name: `#${n}`,
  processedAt: "2026-01-01T00:00:00Z",
  createdAt: "2026-01-01T00:00:00.123Z",
  updatedAt: "2026-01-02T00:00:00Z",
  cancelledAt: null,
  test: false,
  displayFinancialStatus: "PAID",
  currentTotalPriceSet: { shopMoney: { amount: "10.50", currencyCode: "EUR" } },
  totalPriceSet: { shopMoney: { amount: "10.50" } },
  discountCodes: ["SAVE10", "é"],
  customer: { id: `gid://shopify/Customer/${n % 7}` },
  ...over,
});
const lineItem = (n: number, over: Record<string, unknown> = {}) => ({
  id: `gid://shopify/LineItem/${n}`,
  quantity: 2,
  product: { id: "gid://shopify/Product/1", productType: "Coffee", vendor: "Northbound ☕", title: "House Blend 1kg" },
  variant: { id: "gid://shopify/ProductVariant/5" },
  originalUnitPriceSet: { shopMoney: { amount: "0.99", currencyCode: "EUR" } },
  __parentId: `gid://shopify/Order/${n >> 1}`,
  ...over,
});
const customer = (n: number, over: Record<string, unknown> = {}) => ({
  id: `gid://shopify/Customer/${n}`,
  firstName: "Zoë",
  lastName: null,
  tags: ["vip", "😀"],
  updatedAt: "2026-01-02T00:00:00-05:00",
  defaultEmailAddress: { emailAddress: `c${n}@example.com`, marketingState: "SUBSCRIBED" },
  defaultPhoneNumber: null,
  ...over,
});

const awkward = 'a\tb\nc\rd\\e\u0000f "q" {x,y} NULL ☕ 😀 \u001f é';
const variants: object[] = [
  order(1),
  order(2, { customer: null, name: null, displayFinancialStatus: null, test: true, discountCodes: [] }),
  order(3, { cancelledAt: "2026-01-03T04:05:06.789Z", customer: undefined }),
  order(4, { processedAt: "2025-12-31T22:30:00-05:00", createdAt: "2024-02-29T23:59:59.9996-00:30" }),
  order(5, { name: awkward, discountCodes: [awkward.replace("\u001f", ""), "B\\2", "", "NULL", '"'] }),
  order(6, { currentTotalPriceSet: { shopMoney: { amount: "-3.456", currencyCode: "USD", extra: [1, { a: null }] } } }),
  order(7, { totalPriceSet: { shopMoney: { amount: "1", currencyCode: null } }, unknown: { deep: [true, false, -1.5e-3] } }),
  order(8, { cancelledAt: "2026-02-30T00:00:00+01:00" }), // refused by utcTimestamp on the live path
  order(9, { updatedAt: "nope" }),
  order(10, { currentTotalPriceSet: { shopMoney: { amount: "1.5", currencyCode: "" } } }),
  order(11, { test: "false" }),
  order(12, { discountCodes: null }),
  order(13, { customer: { id: "gid://shopify/Customer/x" } }),
  order(14, { customer: {} }),
  lineItem(20),
  lineItem(21, { product: null, variant: null, quantity: -1 }),
  lineItem(22, { product: { id: "gid://shopify/Product/2", productType: awkward, vendor: null, title: "\\N" } }),
  lineItem(23, { quantity: 1.5 }),
  lineItem(24, { quantity: 1e21 }),
  lineItem(25, { product: { id: "gid://shopify/Product/3" } }),
  lineItem(26, { variant: { id: null } }),
  lineItem(27, { __parentId: "gid://shopify/Order/" }),
  customer(30),
  customer(31, {
    firstName: awkward,
    tags: ["x\ty", "\u0000", "😀"],
    defaultEmailAddress: null,
    defaultPhoneNumber: { phoneNumber: "+15550001111" },
  }),
  customer(32, { tags: [], updatedAt: null }),
  customer(33, { tags: "vip" }),
  { id: "gid://shopify/Refund/1" },
  { id: 5 },
  [1, 2],
];
const raw = [
  "",
  "   ",
  "\r",
  "{not json",
  "null",
  "{}",
  // Whitespace JSON allows, keys in another order, a repeated key (JSON.parse keeps the last), numbers.
  ` { "quantity" : 3 ,"id":"gid://shopify/LineItem/40", "__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2.00"}} }\t`,
  `{"id":"gid://shopify/LineItem/41","id":"gid://shopify/LineItem/42","quantity":1,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2"}}}`,
  `{"id":"gid://shopify/LineItem/43","quantity":-0,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2"}}}`,
  `{"id":"gid://shopify/LineItem/44","quantity":1.0,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2"}}}`,
  `{"id":"gid://shopify/LineItem/45","quantity":123456789012345678,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2"}}}`,
  `{"id":"gid://shopify/LineItem/46","quantity":012,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2"}}}`,
  `{"id":"gid://shopify/LineItem/47","quantity":1,"__parentId":"gid://shopify/Order/1","originalUnitPriceSet":{"shopMoney":{"amount":"2","amount":"3"}}}`,
  `{"id":"gid://shopify/Order/48","name":"\\u0041\\u0000","processedAt":"2026-01-01T00:00:00Z","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","test":false,"currentTotalPriceSet":{"shopMoney":{"amount":"1","currencyCode":"USD"}},"totalPriceSet":{"shopMoney":{"amount":"1"}},"discountCodes":[]}`,
];
const validLines = [...variants.map((v) => JSON.stringify(v)), ...raw];

const enc = (s: string) => new TextEncoder().encode(s);
const join = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Both renderings of a batch, or the error each throws (the live path refuses impossible dates). */
function both(bytes: Uint8Array, firstLine: number, target: RowTarget) {
  const run = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      return { threw: (e as Error).message };
    }
  };
  const task = { bytes: bytes.slice() as Uint8Array<ArrayBuffer>, firstLine, maxSamples: 20 };
  return {
    want: run(() => renderBatch(parseJsonlBatch(task), target)),
    got: run(() => renderBatchBytes({ ...task, target })),
  };
}

// A deterministic generator (mulberry32), so a failure is reproducible.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Damage that hits the scanner's edges: JSON syntax, escapes, control characters, UTF-8 (valid,
// overlong, surrogate, truncated), CR, a byte order mark, digits, signs, date and GID characters.
const SNIPPETS = [
  '"',
  "\\",
  "\\n",
  "\\u0000",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  " ",
  "\t",
  "\r",
  "0",
  "9",
  "-",
  "+",
  ".",
  "e",
  "Z",
  "T",
  "/",
  "null",
  "true",
  "1.5",
  '"x"',
  "é",
  "😀",
  "\u001f",
  "\u0001",
].map(enc);
const BAD_BYTES = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf], [0x80]].map(
  (b) => new Uint8Array(b),
);
function damage(line: Uint8Array, rnd: () => number): Uint8Array {
  const at = Math.floor(rnd() * (line.length + 1));
  const r = rnd();
  const piece = r < 0.75 ? SNIPPETS[Math.floor(rnd() * SNIPPETS.length)]! : BAD_BYTES[Math.floor(rnd() * BAD_BYTES.length)]!;
  if (r < 0.3) return join([line.subarray(0, at), line.subarray(Math.min(line.length, at + 1 + Math.floor(rnd() * 3)))]); // delete
  if (r < 0.55) return join([line.subarray(0, at), piece, line.subarray(Math.min(line.length, at + piece.length))]); // overwrite
  return join([line.subarray(0, at), piece, line.subarray(at)]); // insert
}

describe("COPY text straight from the bytes (store/scan.ts)", () => {
  it("renders valid and awkward lines exactly as parse + render does, both targets", () => {
    const bytes = enc(validLines.join("\n") + "\n");
    for (const target of targets) {
      const { want, got } = both(bytes, 7, target);
      expect(got).toEqual(want);
    }
    // Each line alone, so a refusal on the live path (the impossible date) fails only its own batch.
    for (const l of validLines)
      for (const target of targets) {
        const { want, got } = both(enc(l + "\r\n"), 1, target);
        expect(got, l).toEqual(want);
      }
  });

  it("takes the fast path for well-formed lines (no fallback through JSON.parse)", () => {
    // A line the scanner refuses but JSON.parse accepts would still render right (fallback); this
    // checks the benchmark's shapes really are scanned, by making the fallback observable.
    const lines = [order(1), lineItem(2), lineItem(3, { product: null, variant: null }), customer(4)].map((v) => JSON.stringify(v));
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = ((...a: Parameters<typeof parse>) => (calls++, parse(...a))) as typeof parse;
    try {
      const r = renderBatchBytes({ bytes: enc(lines.join("\n")), firstLine: 1, maxSamples: 20, target: targets[0]! });
      expect([r.orderCount, r.lineRowCount, r.customerCount, r.malformedCount]).toEqual([1, 2, 1, 0]);
    } finally {
      JSON.parse = parse;
    }
    expect(calls).toBe(0);
  });

  it("gives the same rows, counts, line numbers and messages as parse + render for 15,000 damaged lines", () => {
    const rnd = random(107);
    const pool = validLines.filter((l) => l.length > 8).map(enc);
    for (let batch = 0; batch < 300; batch++) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 50; i++) {
        let line: Uint8Array = pool[Math.floor(rnd() * pool.length)]!;
        const hits = rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * 2);
        for (let h = 0; h < hits; h++) line = damage(line, rnd);
        parts.push(line, enc(rnd() < 0.1 ? "\r\n" : "\n"));
      }
      if (rnd() < 0.5) parts.pop(); // a last line without its newline
      const bytes = join(parts);
      const firstLine = rnd() < 0.2 ? 1 : 1 + batch * 50;
      for (const target of targets) {
        const { want, got } = both(bytes, firstLine, target);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          // Narrow the failure to one line for the message.
          for (const l of new TextDecoder().decode(bytes).split("\n")) {
            const one = both(enc(l), firstLine, target);
            expect(one.got, `${target.kind}: ${JSON.stringify(l)}`).toEqual(one.want);
          }
        }
        expect(got).toEqual(want);
      }
    }
  });

  it("drops a byte order mark only at the start of the file, as decoding the whole file would", () => {
    const line = JSON.stringify(order(1));
    for (const firstLine of [1, 2])
      for (const target of targets) {
        const { want, got } = both(join([new Uint8Array([0xef, 0xbb, 0xbf]), enc(`${line}\n${line}\n`)]), firstLine, target);
        expect(got).toEqual(want);
        expect((got as { malformedCount: number }).malformedCount).toBe(firstLine === 1 ? 0 : 1);
      }
  });
});
