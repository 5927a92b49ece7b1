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

/** Where a batch goes: the run's staging tables, or the direct first-sync load (051: no run or shop column). */
export type RowTarget = { kind: "staged"; runId: string; shop: string } | { kind: "direct" };

/** One batch as COPY text per table, with the facts about it the ingest needs besides the rows. */
export interface RenderedBatch {
  orders: string;
  lines: string;
  /** Empty for the direct load (it loads an orders export; customers are staged). */
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
  const head = target.kind === "staged" ? stagedHead(target.runId, target.shop) : "";
  return {
    orders: orderRows(p.orders, head),
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
