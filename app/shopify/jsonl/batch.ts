import { parseBulkLine, type CustomerRecord, type LineRecord, type OrderRecord } from "../bulk/records";
import { decodeLineBatch } from "./lines";

/**
 * One batch of a bulk result file, parsed: the work a parse worker does (app/sync/download/worker.ts), or the
 * calling thread when no worker can run (parse-pool.ts). Pure: bytes in, records out.
 */
export interface ParseTask {
  /** Complete lines (jsonlByteBatches), in a buffer of their own (moved to the worker). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Line number of the first line in `bytes` (1 = the file's first line). */
  firstLine: number;
  /** Malformed lines to describe at most (all of them are counted). */
  maxSamples: number;
}

export interface MalformedSample {
  line: number;
  error: string;
}

export interface ParsedBatch {
  orders: OrderRecord[];
  lines: LineRecord[];
  customers: CustomerRecord[];
  /** Lines of the file in the batch, empty ones included. */
  lineCount: number;
  malformedCount: number;
  /** The first `maxSamples` malformed lines of the batch, in file order, errors cut to 300 characters. */
  samples: MalformedSample[];
}

export function parseJsonlBatch(task: ParseTask): ParsedBatch {
  const texts = decodeLineBatch(task.bytes, task.firstLine === 1);
  const out: ParsedBatch = { orders: [], lines: [], customers: [], lineCount: texts.length, malformedCount: 0, samples: [] };
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    if (text.length === 0 || (text.length < 4 && text.trim() === "")) continue;
    const p = parseBulkLine(text);
    if (p.ok) {
      const r = p.record;
      if (r.kind === "order") out.orders.push(r);
      else if (r.kind === "line") out.lines.push(r);
      else out.customers.push(r);
    } else {
      out.malformedCount++;
      if (out.samples.length < task.maxSamples) out.samples.push({ line: task.firstLine + i, error: p.error.slice(0, 300) });
    }
  }
  return out;
}
