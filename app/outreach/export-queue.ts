import type { Sql } from "../db/sql";
import { csvCell, csvRecord } from "../lib/csv";
import { label } from "./move-task";
import { listQueue, type QueueQuery, type QueueRow } from "./list-queue";

export { csvCell };

export function csvLine(cells: Array<string | number | boolean | null | undefined>): string {
  return `${csvRecord(cells)}\r\n`;
}

export const CSV_HEADER = [
  "Task ID",
  "Customer ID",
  "Name",
  "Email",
  "Phone",
  "Lifetime spend",
  "Last order",
  "Campaign",
  "Concierge",
  "Perk",
  "Status",
  "Next due",
  "Overdue",
  "Escalated to",
  "Won back order",
  "Script",
];

export function csvRow(r: QueueRow): string {
  return csvLine([
    r.id,
    r.customerId,
    r.name,
    r.email,
    r.phone, // E.164 starts with "+", so csvCell prefixes an apostrophe: a spreadsheet would read it as a formula
    r.totalSpent === null ? null : Number(r.totalSpent),
    r.lastOrderAt ? new Date(r.lastOrderAt).toISOString() : null,
    r.campaignName ?? r.campaignId,
    r.concierge,
    r.perkText,
    label(r.status),
    r.nextDueAt ? new Date(r.nextDueAt).toISOString() : null,
    r.overdue ? "yes" : "no",
    r.escalatedTo,
    r.wonBackOrderId,
    r.script,
  ]);
}

/**
 * The filtered queue as CSV, page by page so a large queue never sits in memory at once. Sorted
 * like the screen; pages are keyed by offset, which is fine for a snapshot export of a few thousand VIPs.
 */
export function exportQueueCsv(sql: Sql, shop: string, q: QueueQuery, now: Date, pageSize = 500): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let page = 1;
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // BOM: Excel otherwise reads UTF-8 names as Latin-1.
      controller.enqueue(enc.encode(`\uFEFF${csvLine(CSV_HEADER)}`));
    },
    async pull(controller) {
      if (done) return;
      try {
        const { rows } = await listQueue(sql, shop, { ...q, page, pageSize }, now);
        if (rows.length) controller.enqueue(enc.encode(rows.map(csvRow).join("")));
        page++;
        if (rows.length < pageSize) {
          done = true;
          controller.close();
        }
      } catch (e) {
        controller.error(e);
      }
    },
  });
}
