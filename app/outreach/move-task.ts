import { randomUUID } from "node:crypto";
import { z } from "zod";
import { autoEscalate, escalate, markContacted, markResponded, markWonBack, transitionVipTask, type VipTask, type VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError, isAppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { AWAITING_RESPONSE, TASK_COLUMNS, lockTask, persistTransition, toVipTask, vipSettingsOf, type OutreachTaskRow } from "./store";
import { qualifyingOrder } from "../sync/orders-sql";

export const statusSchema = z.enum(["to_contact", "contacted", "follow_up_due", "responded", "won_back", "escalated"]);
const NoteBody = z.string().trim().min(1, "a note cannot be empty").max(5000, "a note is at most 5000 characters");
const Author = z.string().trim().min(1).max(200);

export interface TransitionResult {
  taskId: string;
  from: VipTaskStatus;
  to: VipTaskStatus;
  /** false when the task already was in the target status (a double click, a replayed form). */
  changed: boolean;
}

function applyMove(task: VipTask, row: OutreachTaskRow, to: VipTaskStatus, at: Date, note?: string, orderId?: string): VipTask {
  const settings = vipSettingsOf(row);
  switch (to) {
    case "contacted":
      return markContacted(task, at, settings, note);
    case "responded":
      return markResponded(task, at, note);
    case "escalated":
      return escalate(task, at, settings, note);
    case "won_back":
      return markWonBack(task, at, orderId);
    default:
      return transitionVipTask(task, to, at, note);
  }
}

/**
 * Moves one task through the domain state machine; a move the machine forbids is CONFLICT. Asking
 * for the status the task already has is a no-op rather than an error, because that is what a
 * double-clicked button or a retried request looks like.
 */
export async function transitionTask(
  sql: Sql,
  input: { shop: string; taskId: string; to: VipTaskStatus; now: Date; note?: string; author?: string; orderId?: string },
): Promise<TransitionResult> {
  const to = parseOrThrow(statusSchema, input.to, "outreach status");
  const note = input.note?.trim() ? parseOrThrow(NoteBody, input.note, "note") : undefined;
  return sql.transaction(async (tx) => {
    const row = await lockTask(tx, input.shop, input.taskId);
    if (row.status === to) return { taskId: row.id, from: row.status, to, changed: false };
    const next = applyMove(toVipTask(row), row, to, input.now, note, input.orderId);
    await persistTransition(tx, row, next, input.now);
    if (note) await insertNote(tx, { id: randomUUID(), row, author: input.author?.trim() || "Staff", body: `${label(to)}: ${note}`, at: input.now });
    return { taskId: row.id, from: row.status, to, changed: true };
  });
}

export interface BulkResult {
  changed: string[];
  unchanged: string[];
  conflicts: Array<{ taskId: string; status: VipTaskStatus }>;
  notFound: string[];
}

/**
 * A CS agent selecting twenty rows and clicking "Mark contacted" wants the eighteen that can move
 * moved and to be told about the two that cannot (say, already won back): each task is its own
 * transaction, never all-or-nothing.
 */
export async function bulkTransition(sql: Sql, input: { shop: string; taskIds: string[]; to: VipTaskStatus; now: Date; author?: string }): Promise<BulkResult> {
  const ids = parseOrThrow(z.array(z.string().min(1)).min(1, "select at least one task").max(1000), input.taskIds, "task ids");
  const out: BulkResult = { changed: [], unchanged: [], conflicts: [], notFound: [] };
  for (const taskId of [...new Set(ids)]) {
    try {
      const r = await transitionTask(sql, { shop: input.shop, taskId, to: input.to, now: input.now, author: input.author });
      (r.changed ? out.changed : out.unchanged).push(taskId);
    } catch (e) {
      if (isAppError(e, "CONFLICT")) {
        const d = e.details as { from?: VipTaskStatus } | undefined;
        out.conflicts.push({ taskId, status: d?.from ?? "won_back" });
      } else if (isAppError(e, "NOT_FOUND")) out.notFound.push(taskId);
      else throw e;
    }
  }
  return out;
}

export interface OutreachNoteView {
  id: string;
  author: string;
  body: string;
  createdAt: Date;
}

async function insertNote(tx: Sql, n: { id: string; row: Pick<OutreachTaskRow, "id" | "shop" | "customerId">; author: string; body: string; at: Date }): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO "OutreachNote" (id, "taskId", shop, "customerId", author, body, "createdAt") VALUES ($1, $2, $3, $4::bigint, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [n.id, n.row.id, n.row.shop, n.row.customerId, n.author, n.body, n.at],
  );
  return rows.length > 0;
}

/**
 * Appends a note. The form sends its own note id, so submitting the same form twice (double click,
 * retry after a lost response) stores it once.
 */
export async function addNote(sql: Sql, input: { shop: string; taskId: string; author?: string; body: string; noteId?: string; now: Date }): Promise<{ created: boolean; noteId: string }> {
  const body = parseOrThrow(NoteBody, input.body, "note");
  const author = input.author?.trim() ? parseOrThrow(Author, input.author, "author") : "Staff";
  const noteId = input.noteId ? parseOrThrow(z.string().uuid("note id must be a UUID"), input.noteId, "note id") : randomUUID();
  return sql.transaction(async (tx) => {
    const rows = await tx.query<Pick<OutreachTaskRow, "id" | "shop" | "customerId">>(
      `SELECT id, shop, "customerId"::text AS "customerId" FROM "OutreachTask" WHERE shop = $1 AND id = $2`,
      [input.shop, input.taskId],
    );
    if (!rows[0]) throw new AppError("NOT_FOUND", `No outreach task ${input.taskId}`);
    const existing = await tx.query<{ taskId: string }>(`SELECT "taskId" FROM "OutreachNote" WHERE id = $1`, [noteId]);
    if (existing[0] && existing[0].taskId !== input.taskId) throw new AppError("CONFLICT", `Note ${noteId} belongs to another task`);
    const created = await insertNote(tx, { id: noteId, row: rows[0], author, body, at: input.now });
    return { created, noteId };
  });
}

export async function listNotes(sql: Sql, shop: string, taskId: string): Promise<OutreachNoteView[]> {
  return sql.query<OutreachNoteView>(
    `SELECT id, author, body, "createdAt" FROM "OutreachNote" WHERE shop = $1 AND "taskId" = $2 ORDER BY "createdAt", id`,
    [shop, taskId],
  );
}

export interface EscalationRun {
  followUpDue: number;
  escalated: Array<{ taskId: string; customerId: string; escalatedTo: string | null }>;
}

/**
 * The time-driven moves for one shop: contacted tasks reach follow_up_due at their follow-up date,
 * and tasks without a response past follow-up + grace go to the owner. Decided by the domain's
 * autoEscalate per task, so running it twice (retried job, two workers) changes nothing the second time.
 */
export async function runEscalations(sql: Sql, shop: string, now: Date): Promise<EscalationRun> {
  const out: EscalationRun = { followUpDue: 0, escalated: [] };
  let after = "";
  for (;;) {
    // Candidates only; the domain decides. Keyset by id because follow_up_due tasks stay candidates.
    const batch = await sql.query<{ id: string }>(
      `SELECT id FROM "OutreachTask"
        WHERE shop = $1 AND status = ANY($2::text[]) AND id > $4
          AND ("followUpAt" <= $3 OR "launchAt" + make_interval(days => "followUpDays" + "graceDays") <= $3)
        ORDER BY id LIMIT 500`,
      [shop, AWAITING_RESPONSE, now, after],
    );
    if (!batch.length) break;
    after = batch[batch.length - 1]!.id;
    for (const { id } of batch) {
      await sql.transaction(async (tx) => {
        const row = await lockTask(tx, shop, id);
        if (!AWAITING_RESPONSE.includes(row.status)) return;
        const next = autoEscalate(toVipTask(row), now, vipSettingsOf(row));
        if (next.status === row.status) return;
        await persistTransition(tx, row, next, now);
        if (next.history.slice(row.history.length).some((e) => e.to === "follow_up_due")) out.followUpDue++;
        if (next.status === "escalated") out.escalated.push({ taskId: row.id, customerId: row.customerId, escalatedTo: next.escalatedTo });
      });
    }
  }
  return out;
}

/**
 * Marks won_back every unfinished task (of one customer, or the whole shop) whose customer placed a
 * qualifying order (not test, not cancelled) at or after the campaign's launch. Shared by the order
 * webhook hook and the sweeps after a sync, so an order that arrived before the task existed, or a
 * webhook that never came, still counts.
 */
export async function reconcileWonBack(sql: Sql, shop: string, now: Date, opts: { customerId?: string } = {}): Promise<Array<{ taskId: string; orderId: string }>> {
  if (opts.customerId !== undefined && !/^\d+$/.test(opts.customerId)) throw new AppError("INVALID_INPUT", `Not a customer id: ${opts.customerId}`);
  const found = await sql.query<{ id: string; orderId: string }>(
    `SELECT t.id, o.id::text AS "orderId" FROM "OutreachTask" t
       JOIN LATERAL (
         SELECT id FROM "Order" o
          WHERE o.shop = t.shop AND o."customerId" = t."customerId" AND ${qualifyingOrder("o")} AND o."processedAt" >= t."launchAt"
          ORDER BY o."processedAt", o.id LIMIT 1
       ) o ON true
      WHERE t.shop = $1 AND t.status <> 'won_back' AND ($2::bigint IS NULL OR t."customerId" = $2::bigint)`,
    [shop, opts.customerId ?? null],
  );
  const out: Array<{ taskId: string; orderId: string }> = [];
  for (const f of found) {
    const changed = await sql.transaction(async (tx) => {
      const row = await lockTask(tx, shop, f.id);
      if (row.status === "won_back") return false;
      await persistTransition(tx, row, markWonBack(toVipTask(row), now, f.orderId), now);
      return true;
    });
    if (changed) out.push({ taskId: f.id, orderId: f.orderId });
  }
  return out;
}

export function label(s: VipTaskStatus): string {
  switch (s) {
    case "to_contact":
      return "To contact";
    case "contacted":
      return "Contacted";
    case "follow_up_due":
      return "Follow-up due";
    case "responded":
      return "Responded";
    case "won_back":
      return "Won back";
    case "escalated":
      return "Escalated";
  }
}

/** A task row by id for the detail view. */
export async function getTask(sql: Sql, shop: string, taskId: string): Promise<OutreachTaskRow> {
  const rows = await sql.query<OutreachTaskRow>(`SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t.id = $2`, [shop, taskId]);
  if (!rows[0]) throw new AppError("NOT_FOUND", `No outreach task ${taskId}`);
  return rows[0];
}
