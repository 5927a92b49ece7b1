import {
  defaultCampaignSettings,
  type CampaignSettings,
  type PerkKind,
  type VipTask,
  type VipTaskEvent,
  type VipTaskStatus,
} from "../domain/campaigns";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";

export const VIP_STATUSES: readonly VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due", "responded", "won_back", "escalated"];
/** Statuses in which nobody has heard back yet: the escalation job looks at these. */
export const AWAITING_RESPONSE: readonly VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due"];

/** One OutreachTask row as raw SQL returns it (bigint ids as exact strings). */
export interface OutreachTaskRow {
  id: string;
  shop: string;
  campaignId: string;
  customerId: string;
  launchAt: Date;
  conciergeName: string;
  conciergeRole: string;
  owner: string;
  followUpDays: number;
  graceDays: number;
  perkKind: PerkKind;
  perkText: string;
  perkDetails: PerkDetails;
  script: string;
  status: VipTaskStatus;
  dueAt: Date;
  followUpAt: Date | null;
  contactedAt: Date | null;
  respondedAt: Date | null;
  escalatedAt: Date | null;
  escalatedTo: string | null;
  wonBackAt: Date | null;
  wonBackOrderId: string | null;
  history: Array<{ from: VipTaskStatus; to: VipTaskStatus; at: string; note?: string }>;
  createdAt: Date;
  updatedAt: Date;
}

export interface PerkDetails {
  productIds?: string[];
  orders?: number;
  /** the next best suggestions, so the agent can offer another if the first does not land */
  alternatives?: Array<{ kind: PerkKind; text: string }>;
}

export const TASK_COLUMNS = `t.id, t.shop, t."campaignId", t."customerId"::text AS "customerId", t."launchAt", t."conciergeName", t."conciergeRole", t.owner,
  t."followUpDays", t."graceDays", t."perkKind", t."perkText", t."perkDetails", t.script, t.status, t."dueAt", t."followUpAt", t."contactedAt",
  t."respondedAt", t."escalatedAt", t."escalatedTo", t."wonBackAt", t."wonBackOrderId"::text AS "wonBackOrderId", t.history, t."createdAt", t."updatedAt"`;

/** The campaign settings a task was created under (snapshot), in the shape the domain functions take. */
export function vipSettingsOf(row: Pick<OutreachTaskRow, "followUpDays" | "graceDays" | "owner">): Pick<CampaignSettings, "vip"> {
  const base = defaultCampaignSettings().vip;
  return { vip: { ...base, followUpDays: row.followUpDays, graceDays: row.graceDays, owner: row.owner } };
}

/**
 * The domain's view of a stored task. The domain counts the unanswered period of a task nobody
 * contacted from its creation; for us that is the launch (the planned contact day), not the moment
 * a retried launch happened to insert the row.
 */
export function toVipTask(row: OutreachTaskRow): VipTask {
  return {
    id: row.id,
    campaignId: row.campaignId,
    customerId: row.customerId,
    status: row.status,
    createdAt: row.launchAt,
    contactedAt: row.contactedAt,
    // Before contact the stored follow-up date is only the plan; the domain derives it from contact.
    followUpAt: row.status === "to_contact" ? null : row.followUpAt,
    escalatedTo: row.escalatedTo,
    wonBackOrderId: row.wonBackOrderId,
    history: row.history.map((e) => ({ ...e, at: new Date(e.at) })),
  };
}

/** Writes the domain's new state of a task; the timestamps come from the events the domain appended. */
export async function persistTransition(sql: Sql, row: OutreachTaskRow, next: VipTask, now: Date): Promise<void> {
  const added: VipTaskEvent[] = next.history.slice(row.history.length);
  const at = (to: VipTaskStatus) => [...added].reverse().find((e) => e.to === to)?.at ?? null;
  const rows = await sql.query(
    `UPDATE "OutreachTask" SET status = $3, "contactedAt" = coalesce($4, "contactedAt"), "followUpAt" = coalesce($5, "followUpAt"),
        "respondedAt" = coalesce($6, "respondedAt"), "escalatedAt" = coalesce($7, "escalatedAt"), "escalatedTo" = $8,
        "wonBackAt" = coalesce($9, "wonBackAt"), "wonBackOrderId" = $10::bigint, history = $11::jsonb, "updatedAt" = $12
      WHERE id = $1 AND status = $2 RETURNING id`,
    [
      row.id,
      row.status,
      next.status,
      at("contacted"),
      next.status === "to_contact" ? null : next.followUpAt,
      at("responded"),
      at("escalated"),
      next.escalatedTo,
      at("won_back"),
      next.wonBackOrderId,
      JSON.stringify(next.history),
      now,
    ],
  );
  // The row was read FOR UPDATE in the same transaction, so this only fires on a programming error.
  if (!rows.length) throw new AppError("CONFLICT", `Outreach task ${row.id} changed while it was being updated`);
}

export async function lockTask(tx: Sql, shop: string, taskId: string): Promise<OutreachTaskRow> {
  const rows = await tx.query<OutreachTaskRow>(`SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t.id = $2 FOR UPDATE`, [
    shop,
    taskId,
  ]);
  if (!rows[0]) throw new AppError("NOT_FOUND", `No outreach task ${taskId}`);
  return rows[0];
}

/*
 * The outreach feature's store: the only module that reads or writes OutreachTask and OutreachNote.
 * Customers, orders and campaigns are read through their owners' stores (app/sync/store.ts,
 * app/campaigns/store.ts).
 */

/** Which of these customers already have a task in the campaign (a retried launch inserts only the rest). */
export async function customersWithTasks(sql: Sql, shop: string, campaignId: string, customerIds: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ customerId: string }>(
    `SELECT "customerId"::text AS "customerId" FROM "OutreachTask" WHERE shop = $1 AND "campaignId" = $2 AND "customerId" = ANY($3::bigint[])`,
    [shop, campaignId, customerIds],
  );
  return new Set(rows.map((r) => r.customerId));
}

/** A task as created: the row's plan fields, before anything has happened to it. */
export type NewTask = Pick<
  OutreachTaskRow,
  | "id"
  | "shop"
  | "campaignId"
  | "customerId"
  | "launchAt"
  | "conciergeName"
  | "conciergeRole"
  | "owner"
  | "followUpDays"
  | "graceDays"
  | "perkKind"
  | "perkText"
  | "perkDetails"
  | "script"
  | "dueAt"
> & { followUpAt: Date; /** the queue's contact snapshot, written with the row (else null until refreshed) */ contact?: TaskContact };

/** Inserts tasks; one that exists (shop, campaign, customer) is left alone. Returns how many were new. */
export async function insertTasks(sql: Sql, tasks: NewTask[]): Promise<number> {
  if (!tasks.length) return 0;
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (const t of tasks) {
    const row = [
      t.id,
      t.shop,
      t.campaignId,
      t.customerId,
      t.launchAt,
      t.conciergeName,
      t.conciergeRole,
      t.owner,
      t.followUpDays,
      t.graceDays,
      t.perkKind,
      t.perkText,
      JSON.stringify(t.perkDetails),
      t.script,
      t.dueAt,
      t.followUpAt,
      // Without a snapshot the columns' own defaults (empty), as before the first refresh.
      t.contact?.contactName ?? "",
      t.contact?.nameKey ?? "",
      t.contact?.emailKey ?? "",
      t.contact?.phoneDigits ?? "",
      t.contact?.spent ?? null,
      t.contact?.lastOrderAt?.toISOString() ?? null,
    ];
    const base = values.length;
    tuples.push(`(${row.map((_, k) => `$${base + k + 1}`).join(", ")}, now())`);
    values.push(...row);
  }
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO "OutreachTask" (id, shop, "campaignId", "customerId", "launchAt", "conciergeName", "conciergeRole", owner, "followUpDays", "graceDays",
       "perkKind", "perkText", "perkDetails", script, "dueAt", "followUpAt",
       "contactName", "nameKey", "emailKey", "phoneDigits", "customerSpent", "customerLastOrderAt", "updatedAt")
     VALUES ${tuples.join(", ")}
     ON CONFLICT (shop, "campaignId", "customerId") DO NOTHING RETURNING id`,
    values,
  );
  return inserted.length;
}

/** The VIP's task in a campaign, or null. */
export async function findTaskFor(sql: Sql, shop: string, campaignId: string, customerId: string): Promise<OutreachTaskRow | null> {
  if (!/^\d+$/.test(customerId)) return null;
  const rows = await sql.query<OutreachTaskRow>(
    `SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t."campaignId" = $2 AND t."customerId" = $3::bigint`,
    [shop, campaignId, customerId],
  );
  return rows[0] ?? null;
}

/**
 * Whether the concierge already reached this VIP or heard back (contact or a reply recorded, on the
 * task or in its history): campaigns stop the automated VIP follow-ups then, since a "just following
 * up" email after a personal conversation reads as a machine talking over a person.
 */
export async function hasConciergeContact(sql: Sql, shop: string, campaignId: string, customerId: string): Promise<boolean> {
  const t = await findTaskFor(sql, shop, campaignId, customerId);
  if (!t) return false;
  return t.contactedAt !== null || t.respondedAt !== null || t.history.some((e) => e.to === "contacted" || e.to === "responded");
}

/** A task row by id for the detail view. */
export async function getTask(sql: Sql, shop: string, taskId: string): Promise<OutreachTaskRow> {
  const rows = await sql.query<OutreachTaskRow>(`SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t.id = $2`, [
    shop,
    taskId,
  ]);
  if (!rows[0]) throw new AppError("NOT_FOUND", `No outreach task ${taskId}`);
  return rows[0];
}

/** Tasks by id (any order); unknown ids are left out. */
export async function tasksByIds(sql: Sql, shop: string, taskIds: string[]): Promise<OutreachTaskRow[]> {
  if (!taskIds.length) return [];
  return sql.query<OutreachTaskRow>(`SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t.id = ANY($2::text[])`, [
    shop,
    taskIds,
  ]);
}

/** Tasks per status, and how many are overdue at `now`, for a shop or one campaign. */
export async function statusCounts(
  sql: Sql,
  shop: string,
  campaignId: string | null,
  now: Date,
): Promise<Array<{ status: VipTaskStatus; n: number; overdue: number }>> {
  // Without a campaign the query names only indexed columns: an index-only read of (shop, status,
  // nextDueAt) instead of every wide task row (the Outreach page asks for this on every load).
  const rows = await sql.query<{ status: VipTaskStatus; n: string; overdue: string }>(
    `SELECT status, count(*)::int8 AS n,
            count(*) FILTER (WHERE "nextDueAt" <= $2)::int8 AS overdue
       FROM "OutreachTask" WHERE shop = $1${campaignId === null ? "" : ` AND "campaignId" = $3`} GROUP BY status`,
    campaignId === null ? [shop, now] : [shop, now, campaignId],
  );
  return rows.map((r) => ({ status: r.status, n: Number(r.n), overdue: Number(r.overdue) }));
}

/** Open tasks (nobody answered yet) of the shop. */
export async function countOpenTasks(sql: Sql, shop: string): Promise<number> {
  const rows = await sql.query<{ n: string }>(
    `SELECT count(*)::int8 AS n FROM "OutreachTask" WHERE shop = $1 AND status = ANY($2::text[])`,
    [shop, AWAITING_RESPONSE],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Escalated tasks per owner ("the shop owner" when none was set). */
export async function escalationsByOwner(sql: Sql, shop: string): Promise<Array<{ owner: string; count: number }>> {
  const rows = await sql.query<{ owner: string; n: string }>(
    `SELECT coalesce(nullif("escalatedTo", ''), 'the shop owner') AS owner, count(*)::int8 AS n FROM "OutreachTask" WHERE shop = $1 AND status = 'escalated' GROUP BY 1 ORDER BY 1`,
    [shop],
  );
  return rows.map((r) => ({ owner: r.owner, count: Number(r.n) }));
}

/** Ids of tasks that may move by time alone at `now` (keyset pages by id; the domain decides). */
export async function escalationCandidates(sql: Sql, shop: string, now: Date, after: string, limit = 500): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM "OutreachTask"
      WHERE shop = $1 AND status = ANY($2::text[]) AND id > $4
        AND ("followUpAt" <= $3 OR "launchAt" + make_interval(days => "followUpDays" + "graceDays") <= $3)
      ORDER BY id LIMIT $5`,
    [shop, AWAITING_RESPONSE, now, after, limit],
  );
  return rows.map((r) => r.id);
}

/** Unfinished tasks (not won back) of the shop or of one customer, with what the won-back check needs. */
export async function unfinishedTasks(
  sql: Sql,
  shop: string,
  customerId: string | null,
): Promise<Array<{ id: string; customerId: string; launchAt: Date }>> {
  return sql.query(
    `SELECT id, "customerId"::text AS "customerId", "launchAt" FROM "OutreachTask" WHERE shop = $1 AND status <> 'won_back' AND ($2::bigint IS NULL OR "customerId" = $2::bigint)`,
    [shop, customerId],
  );
}

/** The queue's filters, all applied in SQL (docs/decisions/086-pages-at-scale.md). */
export interface QueueFilter {
  status: string[];
  concierge: string[];
  campaign: string[];
  /** Only tasks whose next step was due at or before this instant. */
  overdueAt: Date | null;
  /** Case-insensitive substring of the name or email, the exact customer id, or (4+ digits) part of the phone's digits. */
  search: string;
}

export type QueueSortKey = "due" | "spend" | "lastOrder" | "name" | "status" | "campaign";

/** The queue's order: `campaignKeys` gives each campaign id its (lower-cased) sort text, for the campaign sort. */
export interface QueueOrder {
  sort: QueueSortKey;
  dir: "asc" | "desc";
  statusOrder: readonly string[];
  campaignKeys: { ids: string[]; keys: string[] };
}

/** A queue row as read: the task and the contact snapshot the search and sort ran on, with the page cursor's key. */
export type QueueTaskRow = OutreachTaskRow & { contactName: string; sortKey: string; cursorId: string };

/** WHERE of the queue's filters; parameters are appended to `params` ($1 is the shop). */
function queueWhere(f: QueueFilter, params: unknown[]): string {
  const w = [`t.shop = $1`];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.status.length) w.push(`t.status = ANY(${p(f.status)}::text[])`);
  if (f.concierge.length) w.push(`coalesce(nullif(t."conciergeName", ''), t."conciergeRole") = ANY(${p(f.concierge)}::text[])`);
  if (f.campaign.length) w.push(`t."campaignId" = ANY(${p(f.campaign)}::text[])`);
  if (f.overdueAt) w.push(`t."nextDueAt" <= ${p(f.overdueAt)}`);
  if (f.search) {
    // strpos, not LIKE: the search box's % and _ are literal. Phone numbers are typed every which way, so
    // only their digits are compared, and only for a search with enough digits to mean a number.
    const needle = p(f.search.toLowerCase());
    const digits = f.search.replace(/\D/g, "");
    const conds = [`strpos(t."nameKey", ${needle}) > 0`, `strpos(t."emailKey", ${needle}) > 0`, `t."customerId"::text = ${p(f.search)}`];
    if (digits.length >= 4) conds.push(`strpos(t."phoneDigits", ${p(digits)}) > 0`);
    w.push(`(${conds.join(" OR ")})`);
  }
  return w.join(" AND ");
}

/**
 * The sort key as a non-null SQL expression and its type: a missing value sorts last in either
 * direction (+infinity ascending, -infinity descending), so a page is one row comparison on (key, id).
 */
function queueSortKey(o: QueueOrder, params: unknown[]): { expr: string; type: string } {
  const last = o.dir === "asc" ? "'infinity'" : "'-infinity'";
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  switch (o.sort) {
    case "due":
      return { expr: `coalesce(t."nextDueAt", ${last}::timestamp)`, type: "timestamp" };
    case "spend":
      return { expr: `coalesce(t."customerSpent"::float8, ${last}::float8)`, type: "float8" };
    case "lastOrder":
      return { expr: `coalesce(t."customerLastOrderAt", ${last}::timestamp)`, type: "timestamp" };
    case "name":
      return { expr: `(t."nameKey" COLLATE "C")`, type: "text" };
    case "status": {
      // Inlined, not a parameter: the rank must be the index's expression (migration
      // 20261204000500_outreach_sort_indexes) for the page to be a range read of it.
      const whens = o.statusOrder.map((s, i) => {
        if (!/^[a-z_]+$/.test(s)) throw new AppError("INVALID_INPUT", `Not a task status: ${JSON.stringify(s)}`);
        return `WHEN '${s}' THEN ${i + 1}`;
      });
      return { expr: `(CASE t.status ${whens.join(" ")} ELSE 0 END)`, type: "int" };
    }
    case "campaign":
      return {
        expr: `(coalesce((${p(o.campaignKeys.keys)}::text[])[array_position(${p(o.campaignKeys.ids)}::text[], t."campaignId")], t."campaignId") COLLATE "C")`,
        type: "text",
      };
  }
}

/**
 * One page of the queue, filtered and sorted in SQL: by offset (the screen's page numbers) or after a
 * (key, task id) cursor (the export's batches, constant cost however deep). Ties by task id in the
 * sort's direction, so pages neither skip nor repeat.
 */
export async function queueTaskPage(
  sql: Sql,
  shop: string,
  f: QueueFilter,
  o: QueueOrder,
  page: { limit: number; offset?: number; after?: { key: string; id: string } },
): Promise<QueueTaskRow[]> {
  const params: unknown[] = [shop];
  const where = [queueWhere(f, params)];
  const key = queueSortKey(o, params);
  const cmp = o.dir === "asc" ? ">" : "<";
  if (page.after) {
    params.push(page.after.key, page.after.id);
    where.push(`(${key.expr}, t.id COLLATE "C") ${cmp} ($${params.length - 1}::${key.type}, $${params.length}::text COLLATE "C")`);
  }
  params.push(page.limit, page.offset ?? 0);
  const dir = o.dir === "asc" ? "ASC" : "DESC";
  // The page's ids first, narrow (a range read of the sort's index, index-only when no filter needs
  // the row), then only those rows' wide columns (script, history): a deep offset skips index entries,
  // not task rows.
  return sql.query<QueueTaskRow>(
    `WITH page AS MATERIALIZED (
       SELECT t.id, ${key.expr} AS k FROM "OutreachTask" t
        WHERE ${where.join(" AND ")}
        ORDER BY ${key.expr} ${dir}, t.id COLLATE "C" ${dir}
        LIMIT $${params.length - 1} OFFSET $${params.length})
     SELECT ${TASK_COLUMNS}, t."contactName", page.k::text AS "sortKey", t.id AS "cursorId"
       FROM page JOIN "OutreachTask" t ON t.shop = $1 AND t.id = page.id
      ORDER BY page.k ${dir}, page.id COLLATE "C" ${dir}`,
    params,
  );
}

/** How many tasks match the queue's filters. */
export async function countQueueTasks(sql: Sql, shop: string, f: QueueFilter): Promise<number> {
  const params: unknown[] = [shop];
  const rows = await sql.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM "OutreachTask" t WHERE ${queueWhere(f, params)}`, params);
  return Number(rows[0]?.n ?? 0);
}

/** The customer fields a task keeps for the queue's search and sort (see setTaskContacts). */
export interface TaskContact {
  customerId: string;
  contactName: string;
  nameKey: string;
  emailKey: string;
  phoneDigits: string;
  spent: string | null;
  lastOrderAt: Date | null;
}

/** Writes the contact snapshot onto every task of these customers (rows whose values changed only). */
export async function setTaskContacts(sql: Sql, shop: string, contacts: TaskContact[]): Promise<number> {
  if (!contacts.length) return 0;
  const col = <T>(fn: (c: TaskContact) => T) => contacts.map(fn);
  const rows = await sql.query<{ id: string }>(
    `UPDATE "OutreachTask" t SET "contactName" = u.cn, "nameKey" = u.nk, "emailKey" = u.ek, "phoneDigits" = u.pd,
        "customerSpent" = u.sp::numeric, "customerLastOrderAt" = u.lo::timestamp
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(cid, cn, nk, ek, pd, sp, lo)
      WHERE t.shop = $1 AND t."customerId" = u.cid
        AND (t."contactName", t."nameKey", t."emailKey", t."phoneDigits", t."customerSpent", t."customerLastOrderAt")
            IS DISTINCT FROM (u.cn, u.nk, u.ek, u.pd, u.sp::numeric, u.lo::timestamp)
      RETURNING t.id`,
    [
      shop,
      col((c) => c.customerId),
      col((c) => c.contactName),
      col((c) => c.nameKey),
      col((c) => c.emailKey),
      col((c) => c.phoneDigits),
      col((c) => c.spent),
      col((c) => (c.lastOrderAt ? c.lastOrderAt.toISOString() : null)),
    ],
  );
  return rows.length;
}

/** The distinct customers with tasks, in id order after `after` (keyset batches for the contact refresh). */
export async function taskCustomerIds(sql: Sql, shop: string, after: string | null, limit: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT DISTINCT "customerId"::text AS id, "customerId" FROM "OutreachTask" WHERE shop = $1 AND ($2::bigint IS NULL OR "customerId" > $2::bigint)
      ORDER BY "customerId" LIMIT $3`,
    [shop, after, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * The distinct values of an indexed, non-null expression of the shop's tasks, by skipping through its
 * `(shop, expr, …)` index one value at a time (a handful of probes for a handful of values) instead of
 * reading all 50,000 rows as SELECT DISTINCT would.
 */
function distinctByIndex(sql: Sql, shop: string, expr: string): Promise<Array<{ v: string }>> {
  return sql.query<{ v: string }>(
    `WITH RECURSIVE d(v) AS (
       (SELECT ${expr} FROM "OutreachTask" WHERE shop = $1 ORDER BY ${expr} LIMIT 1)
       UNION ALL
       SELECT (SELECT ${expr} FROM "OutreachTask" WHERE shop = $1 AND ${expr} > d.v ORDER BY ${expr} LIMIT 1) FROM d WHERE d.v IS NOT NULL)
     SELECT v FROM d WHERE v IS NOT NULL`,
    [shop],
  );
}

/** The concierges and campaign ids the shop's tasks name (the queue's filter pickers, the campaign sort). */
export async function queueFacetValues(sql: Sql, shop: string): Promise<{ concierges: string[]; campaignIds: string[] }> {
  // Both expressions are NOT NULL (conciergeRole, campaignId are) and indexed (page_indexes, outreach_sort_indexes).
  const [concierges, campaigns] = await Promise.all([
    distinctByIndex(sql, shop, `coalesce(nullif("conciergeName", ''), "conciergeRole")`),
    distinctByIndex(sql, shop, `"campaignId"`),
  ]);
  return { concierges: concierges.map((r) => r.v), campaignIds: campaigns.map((r) => r.v) };
}

/** Values for the queue's filter pickers: concierges, campaign ids, task count. */
export async function queueFacets(sql: Sql, shop: string): Promise<{ concierges: string[]; campaignIds: string[]; total: number }> {
  const [values, total] = await Promise.all([
    queueFacetValues(sql, shop),
    sql.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM "OutreachTask" WHERE shop = $1`, [shop]),
  ]);
  return { ...values, total: Number(total[0]?.n ?? 0) };
}

export interface OutreachNoteView {
  id: string;
  author: string;
  body: string;
  createdAt: Date;
}

/** Inserts a note once (its id comes from the form, so a resubmitted form is a no-op); true when new. */
export async function insertNote(
  tx: Sql,
  n: { id: string; row: Pick<OutreachTaskRow, "id" | "shop" | "customerId">; author: string; body: string; at: Date },
): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO "OutreachNote" (id, "taskId", shop, "customerId", author, body, "createdAt") VALUES ($1, $2, $3, $4::bigint, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [n.id, n.row.id, n.row.shop, n.row.customerId, n.author, n.body, n.at],
  );
  return rows.length > 0;
}

/** The task a note id already belongs to, if any. */
export async function noteTaskId(tx: Sql, noteId: string): Promise<string | null> {
  const rows = await tx.query<{ taskId: string }>(`SELECT "taskId" FROM "OutreachNote" WHERE id = $1`, [noteId]);
  return rows[0]?.taskId ?? null;
}

export async function listNotes(sql: Sql, shop: string, taskId: string): Promise<OutreachNoteView[]> {
  return sql.query<OutreachNoteView>(
    `SELECT id, author, body, "createdAt" FROM "OutreachNote" WHERE shop = $1 AND "taskId" = $2 ORDER BY "createdAt", id`,
    [shop, taskId],
  );
}

/* ---- Compliance (GDPR topics, wired by app/compliance.server.ts) ---- */

/** customers/redact: the customers' notes, then their tasks. */
export async function redactOutreachCustomers(sql: Sql, shop: string, customerIds: string[]): Promise<void> {
  await sql.query(`DELETE FROM "OutreachNote" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
  await sql.query(`DELETE FROM "OutreachTask" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]);
}

/** shop/redact: everything outreach holds for the shop. */
export async function redactOutreachShop(sql: Sql, shop: string): Promise<void> {
  await sql.query(`DELETE FROM "OutreachNote" WHERE shop = $1`, [shop]);
  await sql.query(`DELETE FROM "OutreachTask" WHERE shop = $1`, [shop]);
}

/** customers/data_request: the customers' tasks and notes as stored (every column). */
export async function exportOutreachCustomers(
  sql: Sql,
  shop: string,
  customerIds: string[],
): Promise<{ OutreachTask: unknown[]; OutreachNote: unknown[] }> {
  const [tasks, notes] = await Promise.all([
    sql.query(`SELECT * FROM "OutreachTask" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "createdAt", id`, [
      shop,
      customerIds,
    ]),
    sql.query(`SELECT * FROM "OutreachNote" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) ORDER BY "createdAt", id`, [
      shop,
      customerIds,
    ]),
  ]);
  return { OutreachTask: tasks, OutreachNote: notes };
}

/** A customer's VIP outreach tasks (one per campaign), newest first, for the customer's profile. */
export async function tasksOfCustomer(sql: Sql, shop: string, customerId: string): Promise<OutreachTaskRow[]> {
  return sql.query<OutreachTaskRow>(
    `SELECT ${TASK_COLUMNS} FROM "OutreachTask" t WHERE t.shop = $1 AND t."customerId" = $2::bigint ORDER BY t."launchAt" DESC, t.id`,
    [shop, customerId],
  );
}

/** Every concierge note about a customer, oldest first, with the task it belongs to. */
export async function notesOfCustomer(sql: Sql, shop: string, customerId: string): Promise<Array<OutreachNoteView & { taskId: string }>> {
  return sql.query<OutreachNoteView & { taskId: string }>(
    `SELECT id, "taskId", author, body, "createdAt" FROM "OutreachNote" WHERE shop = $1 AND "customerId" = $2::bigint ORDER BY "createdAt", id`,
    [shop, customerId],
  );
}
