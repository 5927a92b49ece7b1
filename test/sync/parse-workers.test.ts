// The sync's JSONL parse path off the main thread (docs/decisions/083-sync-parse-workers.md): the
// byte splitter that cuts a download into batches of lines, and the worker pool that parses them.
// The sync tests next to this one (jsonl, nul, sync, resume, direct, ...) ingest through the pool.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonlBatch } from "../../app/shopify/jsonl/batch";
import { jsonlByteBatches } from "../../app/shopify/jsonl/lines";
import { createParsePool } from "../../app/shopify/jsonl/parse-pool";
import { renderInThread, sharedParsePool, SYNC_PARSE_WORKER_URL, type RenderTask } from "../../app/sync/download";
import { renderBatch, type RenderedBatch, type RowTarget } from "../../app/sync/store/rows";

async function* chunksOf(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function batches(text: string, size: number, linesPerBatch: number, skipLines = 0) {
  const out: Array<{ text: string; lines: number }> = [];
  for await (const b of jsonlByteBatches(chunksOf(enc(text), size), { linesPerBatch, skipLines }))
    out.push({ text: dec(b.bytes), lines: b.lines });
  return out;
}

const order = (n: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Order/${n}`,
    name: `#${n} ☕`,
    processedAt: "2026-01-01T00:00:00Z",
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-02T00:00:00Z",
    cancelledAt: null,
    test: false,
    displayFinancialStatus: "PAID",
    currentTotalPriceSet: { shopMoney: { amount: "10.50", currencyCode: "EUR" } },
    totalPriceSet: { shopMoney: { amount: "10.50" } },
    discountCodes: [],
    customer: { id: "gid://shopify/Customer/9" },
    ...over,
  });

describe("jsonlByteBatches", () => {
  const text = `a1\r\nb€2\n\nc😀3\nd4\ne5`; // CRLF, an empty line, multi-byte characters, no final newline

  it("cuts whole lines into batches of N at any chunk size, and counts every line (empty ones too)", async () => {
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await batches(text, size, 2)).toEqual([
        { text: "a1\r\nb€2\n", lines: 2 },
        { text: "\nc😀3\n", lines: 2 },
        { text: "d4\ne5", lines: 2 },
      ]);
      expect(await batches(text + "\n", size, 4)).toEqual([
        { text: "a1\r\nb€2\n\nc😀3\n", lines: 4 },
        { text: "d4\ne5\n", lines: 2 },
      ]);
    }
  });

  it("skips the first lines of a resumed download without handing them on", async () => {
    for (const size of [1, 3, 64]) {
      expect(await batches(text, size, 2, 3)).toEqual([
        { text: "c😀3\nd4\n", lines: 2 },
        { text: "e5", lines: 1 },
      ]);
      expect(await batches(text, size, 10, 6)).toEqual([]);
    }
  });

  it("a download cut mid-line: the complete lines come out as a last batch, then the error; the cut line never does", async () => {
    async function* cut() {
      yield enc("x1\ny2\nz");
      throw new Error("socket hang up");
    }
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const b of jsonlByteBatches(cut(), { linesPerBatch: 10 })) got.push(dec(b.bytes));
      })(),
    ).rejects.toThrow("socket hang up");
    expect(got).toEqual(["x1\ny2\n"]);
  });

  it("each batch owns its buffer (it is moved to a worker without disturbing anything else)", async () => {
    const all = enc("p\nq\nr\n");
    for await (const b of jsonlByteBatches(chunksOf(all, 64), { linesPerBatch: 1 })) {
      expect(b.bytes.byteOffset).toBe(0);
      expect(b.bytes.buffer.byteLength).toBe(b.bytes.byteLength);
    }
  });
});

describe("parse pool", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "winback-parse-pool-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // 60 batches of 50 lines with malformed lines spread through them: results must come back per
  // batch, exactly as the calling thread would have parsed them.
  const fileLines = Array.from({ length: 3000 }, (_, i) =>
    i % 97 === 5 ? "{not json" : i % 89 === 7 ? order(i, { updatedAt: "nope" }) : i % 101 === 3 ? "" : order(i),
  );
  const batchBytes = () => {
    const out: Array<{ bytes: Uint8Array<ArrayBuffer>; firstLine: number }> = [];
    for (let i = 0; i < fileLines.length; i += 50) out.push({ bytes: enc(fileLines.slice(i, i + 50).join("\n") + "\n"), firstLine: i + 1 });
    return out;
  };
  const target: RowTarget = { kind: "staged", runId: "run-1", shop: "a.myshopify.com" };
  const expected = batchBytes().map((b) => renderInThread({ ...b, maxSamples: 20, target }));
  const syncPool = (o: { threads: number; workerUrl?: URL; onUnavailable: (r: string) => void }) =>
    createParsePool<RenderTask, RenderedBatch>({ workerUrl: SYNC_PARSE_WORKER_URL, inThread: renderInThread, ...o });

  it("worker threads render batches to exactly the calling thread's COPY text, malformed counts and line numbers", async () => {
    const pool = syncPool({ threads: 2, onUnavailable: (r) => expect.fail(`workers unavailable: ${r}`) });
    try {
      const got = await Promise.all(batchBytes().map((b) => pool.parse({ ...b, maxSamples: 20, target })));
      expect(got).toEqual(expected);
      expect(pool.inThread).toBe(false);
      const malformed = got.flatMap((g) => g.samples);
      expect(malformed.length).toBeGreaterThan(40);
      expect(malformed.find((m) => m.line === 6)!.error).toMatch(/^invalid JSON/);
      expect(malformed.find((m) => m.line === 8)!.error).toMatch(/updatedAt: expected an ISO 8601 date-time/);
      expect(got.reduce((n, g) => n + g.orderCount + g.malformedCount, 0)).toBe(fileLines.filter((l) => l !== "").length);
      expect(got[0]!.orders.split("\n")[0]).toBe(
        "run-1\ta.myshopify.com\t0\t9\t#0 ☕\t2026-01-01T00:00:00Z\t2026-01-01T00:00:00Z\t2026-01-02T00:00:00Z\t\\N\tf\tPAID\t10.50\t10.50\tEUR\t",
      );
    } finally {
      await pool.close();
    }
  });

  it("a worker's COPY text equals the in-thread rendering for awkward values (tabs, newlines, backslashes, NUL, unicode, nulls), for both targets", async () => {
    const awkward = "a\tb\nc\rd\\e\u0000f ☕ 😀 \u001f é";
    const awkwardLines = [
      order(1, { name: awkward, discountCodes: [awkward, "B\\2"], cancelledAt: "2026-01-03T00:00:00Z" }),
      order(2, { customer: null, displayFinancialStatus: "PARTIALLY_REFUNDED\t" }),
      JSON.stringify({
        id: "gid://shopify/LineItem/7",
        quantity: 2,
        product: { id: "gid://shopify/Product/1", productType: awkward, vendor: null, title: "\\N" },
        variant: null,
        originalUnitPriceSet: { shopMoney: { amount: "0.99", currencyCode: "EUR" } },
        __parentId: "gid://shopify/Order/1",
      }),
      JSON.stringify({
        id: "gid://shopify/Customer/9",
        firstName: awkward,
        lastName: null,
        tags: ["x\ty", "\u0000", "😀"],
        updatedAt: null,
        defaultEmailAddress: { emailAddress: "z@example.com", marketingState: "SUBSCRIBED" },
        defaultPhoneNumber: null,
      }),
      "{not json",
    ];
    const bytes = () => enc(awkwardLines.join("\n") + "\n");
    const pool = syncPool({ threads: 1, onUnavailable: (r) => expect.fail(`workers unavailable: ${r}`) });
    try {
      for (const t of [target, { kind: "live", shop: "a.myshopify.com" } as const]) {
        const want = renderBatch(parseJsonlBatch({ bytes: bytes(), firstLine: 1, maxSamples: 20 }), t);
        const got = await pool.parse({ bytes: bytes(), firstLine: 1, maxSamples: 20, target: t });
        expect(got).toEqual(want);
        expect([got.orderCount, got.lineRowCount, got.malformedCount]).toEqual([2, 1, 1]);
        expect(got.samples).toEqual([{ line: 5, error: expect.stringMatching(/^invalid JSON/) }]);
        // Escaped for COPY text: one physical line per row, no NUL, the separators and "\N" escaped.
        expect(got.orders.split("\n")).toHaveLength(3);
        expect(got.orders).not.toContain("\u0000");
        expect(got.orders).toContain("a\\tb\\nc\\rd\\\\ef ☕ 😀 \u001f é");
        expect(got.lines).toContain("\t\\\\N\t"); // the title "\N" is text, not a null
      }
      const staged = await pool.parse({ bytes: bytes(), firstLine: 1, maxSamples: 20, target });
      expect(staged.customerCount).toBe(1);
      expect(staged.customers.split("\t")[4]).toBe("a\\tb\\nc\\rd\\\\ef ☕ 😀 \u001f é");
      expect(staged.customers.endsWith("\t\\N\tx\\ty\u001f\u001f😀\n")).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("the sync's own pool (app/sync/download.ts) really runs workers here: the sync tests do not pass on the fallback", async () => {
    const pool = sharedParsePool();
    expect(await pool.parse({ ...batchBytes()[0]!, maxSamples: 20, target })).toEqual(expected[0]);
    expect(pool.inThread).toBe(false);
  });

  it("without a worker file (a build that lacks it) batches are parsed in-thread, with a warning, to the same results", async () => {
    const reasons: string[] = [];
    const pool = syncPool({
      threads: 2,
      workerUrl: pathToFileURL(path.join(dir, "missing.mjs")),
      onUnavailable: (r) => reasons.push(r),
    });
    try {
      const got = await Promise.all(batchBytes().map((b) => pool.parse({ ...b, maxSamples: 20, target })));
      expect(got).toEqual(expected);
      expect(pool.inThread).toBe(true);
      expect(reasons).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it("a worker that dies while parsing fails that batch (no silent loss); the next batch gets a new worker", async () => {
    const dying = path.join(dir, "dying.mjs");
    writeFileSync(
      dying,
      `import { parentPort } from "node:worker_threads";
       parentPort.on("message", (m) => (m.task.firstLine === 1 ? process.exit(3) : parentPort.postMessage({ id: m.id, result: { lineCount: m.task.bytes.length } })));
       parentPort.postMessage({ ready: true });`,
    );
    const pool = createParsePool({
      threads: 1,
      workerUrl: pathToFileURL(dying),
      inThread: parseJsonlBatch,
      onUnavailable: (r) => expect.fail(r),
    });
    try {
      await expect(pool.parse({ bytes: enc("x\n"), firstLine: 1, maxSamples: 20 })).rejects.toThrow(/parse worker stopped: exit code 3/);
      await expect(pool.parse({ bytes: enc("yy\n"), firstLine: 2, maxSamples: 20 })).resolves.toEqual({ lineCount: 3 });
    } finally {
      await pool.close();
    }
  });
});
