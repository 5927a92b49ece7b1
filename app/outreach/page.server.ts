import { z } from "zod";
import { VIP_TRANSITIONS, type VipTaskStatus } from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError, httpStatusFor, isAppError } from "../lib/errors";
import { formObject } from "../lib/form";
import { parseJsonClean } from "../lib/text";
import { parseOrThrow } from "../lib/parse";
import { shopFacts } from "../shop-settings.server";
import { addNote, bulkTransition, label, statusSchema, transitionTask } from "./move-task";
import { escalationsByOwner, getTask, listNotes } from "./store";
import { customerById } from "../sync/store/customers";
import { findCampaign } from "../campaigns/store";
import { listQueue, parseQueueQuery, queueOptions, type QueueQuery } from "./list-queue";
import { outreachSummary, type OutreachSummary } from "./create-tasks";
import { createFormatter, DEFAULT_LOCALE, formatContext } from "../lib/format";
import type { AppContext } from "../jobs/feature";
import { loadOutreachSettings, parseOutreachSettingsForm, saveOutreachSettings, type OutreachSettingsForm } from "./settings";

/**
 * View models of the Outreach page. Dates and money are formatted here, in the shop's zone and
 * currency, so server and browser render the same text (no hydration drift across time zones).
 */
export interface QueueRowView {
  id: string;
  customerId: string;
  name: string;
  email: string | null;
  phone: string | null;
  spend: string;
  lastOrder: string;
  campaign: string;
  campaignId: string;
  concierge: string;
  perk: string;
  status: VipTaskStatus;
  statusLabel: string;
  due: string;
  overdue: boolean;
}

export interface OutreachPageData {
  query: QueueQuery;
  queryError: string | null;
  rows: QueueRowView[];
  total: number;
  pageCount: number;
  options: { concierges: string[]; campaigns: Array<{ id: string; name: string }>; total: number };
  summary: OutreachSummary;
  escalations: Array<{ owner: string; count: number }>;
}

export function formatters(currencyCode: string, timeZone: string) {
  const f = createFormatter(formatContext({ currencyCode, ianaTimezone: timeZone }, DEFAULT_LOCALE));
  return {
    date: (d: Date | string | null) => (d ? f.date(d) : "—"),
    // A due instant is an exclusive end (the shop's midnight): show the day it closes.
    due: (d: Date | string | null) => (d ? f.date(new Date(d).getTime() - 1) : "—"),
    money: (v: string | null) => (v === null ? "—" : f.money(Number(v))),
    dateTime: (d: Date | string) => f.dateTime(d),
  };
}

export async function loadOutreachPage(sql: Sql, shop: string, url: URL, now: Date): Promise<OutreachPageData> {
  let query: QueueQuery;
  let queryError: string | null = null;
  try {
    query = parseQueueQuery(url.searchParams);
  } catch (e) {
    if (!isAppError(e, "INVALID_INPUT")) throw e;
    // A hand-edited or stale URL should not break the page: show everything and say why.
    queryError = e.message;
    query = parseQueueQuery(new URLSearchParams());
  }
  // The summary counts every task of the shop: an unfiltered queue's total, not counted twice.
  const summaryRead = outreachSummary(sql, shop, undefined, now);
  const [facts, { rows, total }, options, summary, esc] = await Promise.all([
    shopFacts(sql, shop),
    listQueue(sql, shop, query, now, async () => (await summaryRead).total),
    queueOptions(sql, shop, async () => (await summaryRead).total),
    summaryRead,
    escalationsByOwner(sql, shop),
  ]);
  const f = formatters(facts.currencyCode, facts.ianaTimezone);
  return {
    query,
    queryError,
    total,
    pageCount: Math.max(1, Math.ceil(total / query.pageSize)),
    options,
    summary,
    escalations: esc,
    rows: rows.map((r) => ({
      id: r.id,
      customerId: r.customerId,
      name: r.name || `Customer ${r.customerId}`,
      email: r.email,
      phone: r.phone,
      spend: f.money(r.totalSpent),
      lastOrder: f.date(r.lastOrderAt),
      campaign: r.campaignName ?? r.campaignId,
      campaignId: r.campaignId,
      concierge: r.concierge,
      perk: r.perkText,
      status: r.status,
      statusLabel: label(r.status),
      due: r.nextDueAt ? f.due(r.nextDueAt) : "—",
      overdue: r.overdue,
    })),
  };
}

export interface ActionOutcome {
  ok: boolean;
  message: string;
  status: number;
}

function outcomeOf(e: unknown): ActionOutcome {
  if (e instanceof AppError) return { ok: false, message: e.message, status: httpStatusFor(e.code) };
  throw e;
}

const BulkForm = z.object({
  intent: z.literal("bulk"),
  to: statusSchema.exclude(["to_contact", "won_back"]),
  ids: z.string().transform((s, ctx) => {
    try {
      const v = parseJsonClean(s); // a "\u0000" escape inside the JSON is a NUL too

      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: "custom", message: "ids must be a JSON list of task ids" });
    return z.NEVER;
  }),
  author: z.string().optional(),
});

/** The queue's bulk status change (Mark contacted / responded / follow-up due / escalate). */
export async function handleQueueAction(sql: Sql, shop: string, form: FormData, now: Date): Promise<ActionOutcome> {
  try {
    const f = parseOrThrow(BulkForm, formObject(form), "bulk action");
    const r = await bulkTransition(sql, { shop, taskIds: f.ids, to: f.to, now, author: f.author });
    const parts = [`${r.changed.length} marked ${label(f.to).toLowerCase()}`];
    if (r.unchanged.length) parts.push(`${r.unchanged.length} already were`);
    if (r.conflicts.length)
      parts.push(
        `${r.conflicts.length} could not move (${[...new Set(r.conflicts.map((c) => label(c.status).toLowerCase()))].join(", ")})`,
      );
    if (r.notFound.length) parts.push(`${r.notFound.length} no longer exist`);
    return { ok: r.conflicts.length === 0 && r.notFound.length === 0, message: parts.join(", "), status: 200 };
  } catch (e) {
    return outcomeOf(e);
  }
}

export interface TaskDetailView {
  id: string;
  customerId: string;
  name: string;
  email: string | null;
  phone: string | null;
  /** `tel:` link for the concierge's click-to-call; null without a dialable number */
  phoneHref: string | null;
  spend: string;
  lastOrder: string;
  orderCount: number;
  campaign: string;
  concierge: { name: string; role: string };
  perk: { kind: string; text: string; alternatives: string[] };
  script: string;
  status: VipTaskStatus;
  statusLabel: string;
  next: Array<{ to: VipTaskStatus; label: string }>;
  dates: Array<{ label: string; value: string }>;
  overdue: boolean;
  escalatedTo: string | null;
  wonBackOrderId: string | null;
  history: Array<{ at: string; text: string }>;
  notes: Array<{ id: string; author: string; body: string; at: string }>;
}

/**
 * A `tel:` URL from a stored phone number. Only digits and a leading "+" are kept: Shopify stores
 * E.164, but a number typed elsewhere may carry spaces or punctuation that dialers reject.
 */
export function telHref(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/[^\d]/g, "");
  return digits ? `tel:${phone.trim().startsWith("+") ? "+" : ""}${digits}` : null;
}

/** A task id from a URL (a UUID when created): anything that cannot be one is NOT_FOUND before SQL sees it. */
export function taskIdParam(raw: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(raw)) throw new AppError("NOT_FOUND", "No such outreach task");
  return raw;
}

export async function loadTaskDetail(sql: Sql, shop: string, rawTaskId: string, now: Date): Promise<TaskDetailView> {
  const taskId = taskIdParam(rawTaskId);
  const [task, notes, facts] = await Promise.all([getTask(sql, shop, taskId), listNotes(sql, shop, taskId), shopFacts(sql, shop)]);
  const [customer, campaign] = await Promise.all([customerById(sql, shop, task.customerId), findCampaign(sql, shop, task.campaignId)]);
  const f = formatters(facts.currencyCode, facts.ianaTimezone);
  const time = { format: f.dateTime };
  const nextDue =
    task.status === "to_contact" ? task.dueAt : task.status === "contacted" || task.status === "follow_up_due" ? task.followUpAt : null;
  const dates: Array<{ label: string; value: string }> = [
    { label: "Launched", value: time.format(task.launchAt) },
    { label: "Contact due", value: f.due(task.dueAt) },
    { label: task.contactedAt ? "Follow-up due" : "Follow-up planned", value: f.date(task.followUpAt) },
  ];
  if (task.contactedAt) dates.push({ label: "Contacted", value: time.format(task.contactedAt) });
  if (task.respondedAt) dates.push({ label: "Responded", value: time.format(task.respondedAt) });
  if (task.escalatedAt)
    dates.push({ label: `Escalated${task.escalatedTo ? ` to ${task.escalatedTo}` : ""}`, value: time.format(task.escalatedAt) });
  if (task.wonBackAt)
    dates.push({ label: `Won back${task.wonBackOrderId ? ` (order ${task.wonBackOrderId})` : ""}`, value: time.format(task.wonBackAt) });
  const name = `${customer?.firstName ?? ""} ${customer?.lastName ?? ""}`.trim();
  return {
    id: task.id,
    customerId: task.customerId,
    name: name || `Customer ${task.customerId}`,
    email: customer?.email ?? null,
    phone: customer?.phone ?? null,
    phoneHref: telHref(customer?.phone ?? null),
    spend: f.money(customer?.totalSpent ?? null),
    lastOrder: f.date(customer?.lastOrderAt ?? null),
    orderCount: Number(customer?.orderCount ?? 0),
    campaign: campaign?.name ?? task.campaignId,
    concierge: { name: task.conciergeName, role: task.conciergeRole },
    perk: { kind: task.perkKind, text: task.perkText, alternatives: (task.perkDetails.alternatives ?? []).map((a) => a.text) },
    script: task.script,
    status: task.status,
    statusLabel: label(task.status),
    next: VIP_TRANSITIONS[task.status].map((to) => ({ to, label: label(to) })),
    dates,
    overdue: !!nextDue && nextDue.getTime() <= now.getTime(),
    escalatedTo: task.escalatedTo,
    wonBackOrderId: task.wonBackOrderId,
    history: task.history.map((e) => ({
      at: time.format(new Date(e.at)),
      text: `${label(e.from)} → ${label(e.to)}${e.note ? ` (${e.note})` : ""}`,
    })),
    notes: notes.map((n) => ({ id: n.id, author: n.author, body: n.body, at: time.format(n.createdAt) })),
  };
}

const DetailForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("transition"), to: statusSchema, note: z.string().optional(), author: z.string().optional() }),
  z.object({ intent: z.literal("note"), body: z.string(), noteId: z.string().optional(), author: z.string().optional() }),
]);

/** The detail view's status buttons and note form. */
export async function handleTaskAction(sql: Sql, shop: string, taskId: string, form: FormData, now: Date): Promise<ActionOutcome> {
  try {
    taskIdParam(taskId);
    const f = parseOrThrow(DetailForm, formObject(form), "outreach task action");
    if (f.intent === "transition") {
      const r = await transitionTask(sql, { shop, taskId, to: f.to, now, note: f.note, author: f.author });
      return { ok: true, message: r.changed ? `Marked ${label(r.to).toLowerCase()}` : `Already ${label(r.to).toLowerCase()}`, status: 200 };
    }
    const r = await addNote(sql, { shop, taskId, body: f.body, noteId: f.noteId || undefined, author: f.author, now });
    return { ok: true, message: r.created ? "Note added" : "Note already saved", status: 200 };
  } catch (e) {
    return outcomeOf(e);
  }
}

/* ---- Concierge settings (app.settings.outreach) ---- */

/** What the concierge settings page needs from the app's context. */
export type OutreachPageContext = Pick<AppContext, "db" | "mailer">;

export async function loadOutreachSettingsPage(ctx: OutreachPageContext, shop: string) {
  await ctx.db.ready();
  // Without a mail server the owner notice cannot go out: the page says so next to the owner's address.
  return { settings: await loadOutreachSettings(ctx.db.sql, shop), mailConfigured: ctx.mailer() !== null };
}

export async function saveOutreachSettingsForm(ctx: OutreachPageContext, shop: string, form: FormData): Promise<OutreachSettingsForm> {
  const r = parseOutreachSettingsForm(form);
  if (!r.ok) return r;
  await ctx.db.ready();
  await saveOutreachSettings(ctx.db.sql, shop, r.settings);
  return r;
}
