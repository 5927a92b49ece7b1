import type { Sql } from "../db/sql";
import { csvCell, csvRecord } from "../lib/csv";
import { label } from "./move-task";
import { queueFilter, queueOrder, queueRows, type QueueQuery, type QueueRow } from "./list-queue";
import { queueTaskPage, type QueueOrder } from "./store";

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
 * The filtered queue as CSV, streamed: batches of `pageSize` tasks read by keyset (after the last
 * row's sort key and task id) as the client reads, so memory stays at one batch, a batch costs the
 * same at task 50 and task 50,000, and a client that goes away stops the reads. Sorted like the screen.
 */
export function exportQueueCsv(sql: Sql, shop: string, q: QueueQuery, now: Date, pageSize = 1_000): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const filter = queueFilter(q, now);
  let order: QueueOrder | undefined;
  let after: { key: string; id: string } | undefined;
  let done = false;
  // The first batch is small so the first rows reach the client at once; later ones are full size.
  let size = Math.min(pageSize, 200);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // BOM: Excel otherwise reads UTF-8 names as Latin-1.
      controller.enqueue(enc.encode(`\uFEFF${csvLine(CSV_HEADER)}`));
    },
    async pull(controller) {
      if (done) return;
      try {
        order ??= await queueOrder(sql, shop, q);
        const tasks = await queueTaskPage(sql, shop, filter, order, { limit: size, after });
        if (tasks.length) {
          const rows = await queueRows(sql, shop, tasks, now);
          controller.enqueue(enc.encode(rows.map(csvRow).join("")));
          const last = tasks[tasks.length - 1]!;
          after = { key: last.sortKey, id: last.cursorId };
        }
        if (tasks.length < size) {
          done = true;
          controller.close();
        }
        size = pageSize;
      } catch (e) {
        controller.error(e);
      }
    },
  });
}
