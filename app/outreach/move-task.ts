import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  escalate,
  markContacted,
  markResponded,
  markWonBack,
  transitionVipTask,
  type VipTask,
  type VipTaskStatus,
} from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError, isAppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { getTask, insertNote, lockTask, noteTaskId, persistTransition, toVipTask, vipSettingsOf, type OutreachTaskRow } from "./store";

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
    if (note)
      await insertNote(tx, {
        id: randomUUID(),
        row,
        author: input.author?.trim() || "Staff",
        body: `${label(to)}: ${note}`,
        at: input.now,
      });
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
export async function bulkTransition(
  sql: Sql,
  input: { shop: string; taskIds: string[]; to: VipTaskStatus; now: Date; author?: string },
): Promise<BulkResult> {
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

/**
 * Appends a note. The form sends its own note id, so submitting the same form twice (double click,
 * retry after a lost response) stores it once.
 */
export async function addNote(
  sql: Sql,
  input: { shop: string; taskId: string; author?: string; body: string; noteId?: string; now: Date },
): Promise<{ created: boolean; noteId: string }> {
  const body = parseOrThrow(NoteBody, input.body, "note");
  const author = input.author?.trim() ? parseOrThrow(Author, input.author, "author") : "Staff";
  const noteId = input.noteId ? parseOrThrow(z.string().uuid("note id must be a UUID"), input.noteId, "note id") : randomUUID();
  return sql.transaction(async (tx) => {
    const task = await getTask(tx, input.shop, input.taskId);
    const owner = await noteTaskId(tx, noteId);
    if (owner && owner !== input.taskId) throw new AppError("CONFLICT", `Note ${noteId} belongs to another task`);
    const created = await insertNote(tx, { id: noteId, row: task, author, body, at: input.now });
    return { created, noteId };
  });
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
