// The sync's JSONL parse path off the main thread (docs/decisions/083-sync-parse-workers.md): the
// byte splitter that cuts a download into batches of lines, and the worker pool that parses them.
// The sync tests next to this one (jsonl, nul, sync, resume, direct, ...) ingest through the pool.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonlBatch, type ParsedBatch } from "../../app/shopify/jsonl/batch";
import { jsonlByteBatches } from "../../app/shopify/jsonl/lines";
import { createParsePool, sharedParsePool } from "../../app/shopify/jsonl/parse-pool";

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
  const expected = batchBytes().map((b) => parseJsonlBatch({ ...b, maxSamples: 20 }));

  it("worker threads parse batches to exactly the calling thread's records, malformed counts and line numbers", async () => {
    const pool = createParsePool({ threads: 2, onUnavailable: (r) => expect.fail(`workers unavailable: ${r}`) });
    try {
      const got = await Promise.all(batchBytes().map((b) => pool.parse({ ...b, maxSamples: 20 })));
      expect(got).toEqual(expected);
      expect(pool.inThread).toBe(false);
      const malformed = got.flatMap((g: ParsedBatch) => g.samples);
      expect(malformed.length).toBeGreaterThan(40);
      expect(malformed.find((m) => m.line === 6)!.error).toMatch(/^invalid JSON/);
      expect(malformed.find((m) => m.line === 8)!.error).toMatch(/updatedAt: expected an ISO 8601 date-time/);
      expect(got.reduce((n, g) => n + g.orders.length + g.malformedCount, 0)).toBe(fileLines.filter((l) => l !== "").length);
    } finally {
      await pool.close();
    }
  });

  it("the sync's own pool (app/sync/download.ts) really runs workers here: the sync tests do not pass on the fallback", async () => {
    const pool = sharedParsePool();
    expect(await pool.parse({ ...batchBytes()[0]!, maxSamples: 20 })).toEqual(expected[0]);
    expect(pool.inThread).toBe(false);
  });

  it("without a worker file (a build that lacks it) batches are parsed in-thread, with a warning, to the same results", async () => {
    const reasons: string[] = [];
    const pool = createParsePool({
      threads: 2,
      workerUrl: pathToFileURL(path.join(dir, "missing.mjs")),
      onUnavailable: (r) => reasons.push(r),
    });
    try {
      const got = await Promise.all(batchBytes().map((b) => pool.parse({ ...b, maxSamples: 20 })));
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
    const pool = createParsePool({ threads: 1, workerUrl: pathToFileURL(dying), onUnavailable: (r) => expect.fail(r) });
    try {
      await expect(pool.parse({ bytes: enc("x\n"), firstLine: 1, maxSamples: 20 })).rejects.toThrow(/parse worker stopped: exit code 3/);
      await expect(pool.parse({ bytes: enc("yy\n"), firstLine: 2, maxSamples: 20 })).resolves.toEqual({ lineCount: 3 });
    } finally {
      await pool.close();
    }
  });
});
