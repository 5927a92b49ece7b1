import { copyText } from "../../db/sql";
import type { CustomerRecord, LineRecord, OrderRecord } from "../../shopify/bulk/records";
import type { MalformedSample, ParsedBatch } from "../../shopify/jsonl/batch";

/**
 * The COPY text of the sync's staging rows, and nothing else: no SQL, no database. Pure, so a parse
 * worker (app/sync/download/worker.ts) renders a batch's rows where it parsed them and hands the
 * main thread strings, which cross the thread boundary almost for free, instead of records, whose
 * structured clone costs more than parsing them did (docs/decisions/083-sync-parse-workers.md).
 * The column lists are here because the text's field order is theirs; staging.ts writes them.
 */

/** Joins string lists (discount codes, tags) into one staged column; the merge splits on chr(31). */
export const LIST_SEP = "\u001f";
const N = "\\N";
// Ids, dates and amounts were validated (digits, ISO 8601, decimals): nothing in them needs escaping.
const opt = (v: string | null) => v ?? N;

export const ORDER_COLUMNS = [
  "runId",
  "shop",
  "id",
  "customerId",
  "name",
  "processedAt",
  "createdAt",
  "updatedAt",
  "cancelledAt",
  "test",
  "financialStatus",
  "currentTotal",
  "totalPrice",
  "currency",
  "discountCodes",
];
export const LINE_COLUMNS = [
  "runId",
  "shop",
  "id",
  "orderId",
  "productId",
  "variantId",
  "productTitle",
  "productType",
  "vendor",
  "quantity",
  "unitPrice",
];
export const CUSTOMER_COLUMNS = [
  "runId",
  "shop",
  "id",
  "email",
  "firstName",
  "lastName",
  "phone",
  "emailConsent",
  "smsConsent",
  "updatedAt",
  "tags",
];

/** The run and shop columns that start every staged line (the direct load's temp tables have neither). */
export const stagedHead = (runId: string, shop: string) => `${copyText(runId)}\t${copyText(shop)}\t`;

/** COPY text of orders; `head` (the run and shop columns, or nothing) starts every line. */
export function orderRows(rows: OrderRecord[], head: string): string {
  let text = "";
  for (const r of rows) {
    text += `${head}${r.id}\t${opt(r.customerId)}\t${copyText(r.name)}\t${r.processedAt}\t${r.createdAt}\t${r.updatedAt}\t${opt(r.cancelledAt)}\t${r.test ? "t" : "f"}\t${copyText(r.financialStatus)}\t${r.currentTotal}\t${r.totalPrice}\t${copyText(r.currency)}\t${copyText(r.discountCodes.join(LIST_SEP))}\n`;
  }
  return text;
}

export function lineRows(rows: LineRecord[], head: string): string {
  let text = "";
  for (const r of rows) {
    text += `${head}${r.id}\t${r.orderId}\t${opt(r.productId)}\t${opt(r.variantId)}\t${copyText(r.productTitle)}\t${copyText(r.productType)}\t${copyText(r.vendor)}\t${r.quantity}\t${r.unitPrice}\n`;
  }
  return text;
}

export function customerRows(rows: CustomerRecord[], head: string): string {
  let text = "";
  for (const r of rows) {
    text += `${head}${r.id}\t${copyText(r.email)}\t${copyText(r.firstName)}\t${copyText(r.lastName)}\t${copyText(r.phone)}\t${copyText(r.emailConsent)}\t${copyText(r.smsConsent)}\t${opt(r.updatedAt)}\t${copyText(r.tags.join(LIST_SEP))}\n`;
  }
  return text;
}

/**
 * Where a batch goes: the run's staging tables, or (the direct first-sync load of 051, ADR 097)
 * straight into the live "Order" and "OrderLine" tables, in their own column forms.
 */
export type RowTarget = { kind: "staged"; runId: string; shop: string } | { kind: "live"; shop: string };

/** The live tables' columns in the order liveOrderRows / liveLineRows render them. */
export const LIVE_ORDER_COLUMNS = ORDER_COLUMNS.slice(1);
export const LIVE_LINE_COLUMNS = LINE_COLUMNS.slice(1);

const OFFSET_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-])(\d{2}):(\d{2})$/;

/**
 * A validated ISO 8601 date-time (records.ts DATE_RE) as the live tables' UTC `timestamp(3)` text.
 * PostgreSQL silently ignores an offset given to a timestamp without time zone, so the offset is
 * applied here: "Z" (what GraphQL returns) is dropped, any other offset is added to the wall time.
 * The fraction is kept as written; PostgreSQL rounds it to milliseconds exactly as the staged
 * merge's `(timestamptz AT TIME ZONE 'UTC')` into timestamp(3) does.
 */
export function utcTimestamp(v: string): string {
  if (v.charCodeAt(v.length - 1) === 90 /* Z */) return v.slice(0, -1);
  const m = OFFSET_DATE.exec(v);
  if (!m) throw new Error(`not an ISO 8601 date-time with an offset: ${v.slice(0, 40)}`);
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const t = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter reads years 0–99 as 1900–1999.
  t.setUTCFullYear(y!, mo! - 1, d!);
  t.setUTCHours(h!, mi!, sec!, 0);
  // Date rolls 2024-02-30 over to March; PostgreSQL refuses it, and so does this.
  if (t.getUTCMonth() !== mo! - 1 || t.getUTCDate() !== d! || h! > 23 || mi! > 59 || sec! > 59)
    throw new Error(`not a valid date-time: ${v.slice(0, 40)}`);
  const shift = (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  const utc = new Date(t.getTime() + (m[8] === "+" ? -shift : shift));
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) throw new Error(`date-time out of range: ${v.slice(0, 40)}`);
  return `${utc.toISOString().slice(0, 19)}${m[7] ?? ""}`;
}

/**
 * A text[] literal for COPY: every element double-quoted (so NULL, braces, commas and spaces stay
 * text), with `"` and `\` escaped for the array parser; the COPY escaping (copyText) comes on top.
 */
export function arrayLiteral(items: string[]): string {
  if (!items.length) return "{}";
  let s = "{";
  for (let i = 0; i < items.length; i++) {
    const v = items[i]!;
    s += `${i ? "," : ""}"${v.indexOf('"') === -1 && v.indexOf("\\") === -1 ? v : v.replace(/["\\]/g, "\\$&")}"`;
  }
  return `${s}}`;
}

/** COPY text of orders in the live "Order" table's form (LIVE_ORDER_COLUMNS); `head` is the shop column. */
export function liveOrderRows(rows: OrderRecord[], head: string): string {
  let text = "";
  for (const r of rows) {
    text += `${head}${r.id}\t${opt(r.customerId)}\t${copyText(r.name)}\t${utcTimestamp(r.processedAt)}\t${utcTimestamp(r.createdAt)}\t${utcTimestamp(r.updatedAt)}\t${r.cancelledAt == null ? N : utcTimestamp(r.cancelledAt)}\t${r.test ? "t" : "f"}\t${copyText(r.financialStatus)}\t${r.currentTotal}\t${r.totalPrice}\t${copyText(r.currency)}\t${copyText(arrayLiteral(r.discountCodes))}\n`;
  }
  return text;
}

/** One batch as COPY text per table, with the facts about it the ingest needs besides the rows. */
export interface RenderedBatch {
  orders: string;
  lines: string;
  /** Empty for the live target (the direct load loads an orders export; customers are staged). */
  customers: string;
  orderCount: number;
  lineRowCount: number;
  customerCount: number;
  /** Lines of the file in the batch, empty ones included. */
  lineCount: number;
  malformedCount: number;
  samples: MalformedSample[];
}

/** A parsed batch's rows for `target`; the records are dropped, the counts and malformed lines kept. */
export function renderBatch(p: ParsedBatch, target: RowTarget): RenderedBatch {
  const head = target.kind === "staged" ? stagedHead(target.runId, target.shop) : `${copyText(target.shop)}\t`;
  return {
    // Lines have the same columns staged and live, less the run (and their values need no conversion).
    orders: target.kind === "staged" ? orderRows(p.orders, head) : liveOrderRows(p.orders, head),
    lines: lineRows(p.lines, head),
    customers: target.kind === "staged" ? customerRows(p.customers, head) : "",
    orderCount: p.orders.length,
    lineRowCount: p.lines.length,
    customerCount: target.kind === "staged" ? p.customers.length : 0,
    lineCount: p.lineCount,
    malformedCount: p.malformedCount,
    samples: p.samples,
  };
}
