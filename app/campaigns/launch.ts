import { z } from "zod";
import type { Sql } from "../db/sql";
import {
  describeDiscount,
  discountCodeFor,
  discountEndsAt,
  isHoldout,
  parseCampaignSettings,
  touchSchedule,
  type CampaignSettings,
} from "../domain/campaigns";
import { AppError, isAppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { lineMessages, readBulkMutationResults, startBulkMutation, waitForBulkOperation } from "../shopify/bulk/mutations";
import {
  CODE_DISCOUNT_BY_CODE,
  DISCOUNT_CODE_BASIC_CREATE,
  SEGMENT_CREATE,
  SEGMENTS_BY_TAG,
  TAGS_ADD,
  TAGS_ADD_BULK_LINE,
} from "../shopify/documents/campaigns";
import { assertNoUserErrors, UserErrorsSchema, type AdminClient } from "../shopify/graphql-client";
import { saveSettingsSection } from "../shop-settings.server";
import { DEFAULT_BULK_TAG_THRESHOLD, type CampaignDeps } from "./deps";
import { getCampaign, recordStep, type CampaignRow } from "./store";
import { DAY_MS } from "../domain/analytics/dates";
import { customerGid } from "../shopify/ids";

export const LAUNCH_QUEUE = "campaign.launch";
export const TOUCH_QUEUE = "campaign.touch";
export const COMPLETE_QUEUE = "campaign.complete";

export const LaunchPayload = z.object({ shop: z.string().min(1), campaignId: z.string().min(1) });
export const TouchPayload = z.object({ shop: z.string().min(1), campaignId: z.string().min(1), customerId: z.string().regex(/^\d+$/), day: z.number().int().min(0) });

/** Deterministic from the campaign id, like the code: a retry tags with the same tag. */
export function campaignTagFor(campaignId: string): string {
  return `winback-${discountCodeFor(campaignId).split("-")[1]!.toLowerCase()}`;
}

/** Marks our discount in Shopify so a lookup by code can tell ours from a merchant's. */
export function discountTitleFor(c: Pick<CampaignRow, "id" | "name">): string {
  return `Winback: ${c.name} [${c.id}]`;
}

export function segmentNameFor(c: Pick<CampaignRow, "name" | "tag">): string {
  return `Winback ${c.name} (${c.tag})`;
}

/** The campaign runs until its last touch and its measurement window have both passed. */
export function campaignEndsAt(launchAt: Date, s: CampaignSettings): Date {
  const days = Math.max(s.reactivationWindowDays, s.discount.validityDays, ...s.vip.touchDays.map((d) => d + 1), ...s.standard.touchDays.map((d) => d + 1));
  return new Date(launchAt.getTime() + days * DAY_MS);
}

const LaunchRequest = z.object({
  shop: z.string().min(1),
  /** Generated when the plan page loads: a double click or a resubmitted form names the same campaign. */
  launchKey: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "launch key must be 8-64 letters, digits or dashes"),
  name: z.string().trim().min(1, "name the campaign").max(80),
  settings: z.unknown(),
});

/**
 * The merchant confirmed: store the campaign and its settings snapshot, remember the settings as
 * the shop's defaults, and enqueue the launch job. Nothing in Shopify happens inside the request.
 */
export async function requestLaunch(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  input: z.input<typeof LaunchRequest>,
): Promise<{ campaignId: string; created: boolean }> {
  const req = parseOrThrow(LaunchRequest, input, "launch request");
  const settings = parseCampaignSettings(req.settings);
  const id = req.launchKey.toLowerCase();
  const now = deps.now();
  const existing = await deps.sql.query<{ shop: string }>(`SELECT shop FROM "Campaign" WHERE id = $1`, [id]);
  if (existing[0] && existing[0].shop !== req.shop) throw new AppError("CONFLICT", "launch key already used");
  const inserted = await deps.sql.query<{ id: string }>(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, "launchAt", "endsAt", tag, "discountCode", "discountEndsAt", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'launching', $4::jsonb, $5, $6, $7, $8, $9, $5, $5)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      id,
      req.shop,
      req.name,
      JSON.stringify(settings),
      now.toISOString(),
      campaignEndsAt(now, settings).toISOString(),
      campaignTagFor(id),
      discountCodeFor(id),
      discountEndsAt(now, settings).toISOString(),
    ],
  );
  if (inserted.length) await saveSettingsSection(deps.sql, req.shop, "campaigns", settings);
  await enqueueLaunch(deps, req.shop, id);
  return { campaignId: id, created: inserted.length > 0 };
}

export async function enqueueLaunch(deps: Pick<CampaignDeps, "queue">, shop: string, campaignId: string) {
  return deps.queue.send(LAUNCH_QUEUE, { shop, campaignId }, { singletonKey: `campaign.launch:${campaignId}` });
}

/** "Retry launch" after a launch stopped on an error the merchant fixed (e.g. a clashing code). */
export async function retryLaunch(deps: Pick<CampaignDeps, "sql" | "queue">, shop: string, campaignId: string) {
  const c = await getCampaign(deps.sql, shop, campaignId);
  if (c.status !== "launching") throw new AppError("CONFLICT", `Campaign is ${c.status}, not launching`);
  await deps.sql.query(`UPDATE "Campaign" SET "launchError" = NULL, "launchErrorDetails" = NULL, "updatedAt" = now() WHERE id = $1`, [campaignId]);
  await enqueueLaunch(deps, shop, campaignId);
}

/**
 * The launch job. Each step reads the step log first and writes it when done, and every Shopify
 * write is either idempotent by nature (tagsAdd) or looked up before it is created (segment,
 * discount), so a retry, a duplicated job or a process killed between two steps resumes without
 * creating anything twice. Errors the merchant must fix (userErrors) stop the launch and are shown;
 * transient ones go back to the queue.
 */
export async function runLaunch(deps: CampaignDeps, payload: z.infer<typeof LaunchPayload>): Promise<void> {
  const { shop, campaignId } = payload;
  let c = await getCampaign(deps.sql, shop, campaignId);
  if (c.status !== "launching") return;
  try {
    if (!c.launchSteps.members?.doneAt) await snapshotMembers(deps, c);
    const client = await deps.client(shop);
    c = await getCampaign(deps.sql, shop, campaignId);
    if (!c.launchSteps.tags?.doneAt) await tagCustomers(deps, client, c);
    c = await getCampaign(deps.sql, shop, campaignId);
    if (!c.launchSteps.segment?.doneAt) await createSegment(deps, client, c);
    c = await getCampaign(deps.sql, shop, campaignId);
    if (!c.launchSteps.discount?.doneAt) await createDiscount(deps, client, c);
    c = await getCampaign(deps.sql, shop, campaignId);
    if (!c.launchSteps.outreach?.doneAt) await createOutreach(deps, c);
    c = await getCampaign(deps.sql, shop, campaignId);
    if (!c.launchSteps.touches?.doneAt) await scheduleTouches(deps, c);
    await deps.sql.query(
      `UPDATE "Campaign" SET status = 'active', "launchError" = NULL, "launchErrorDetails" = NULL, "updatedAt" = now() WHERE id = $1 AND status = 'launching'`,
      [campaignId],
    );
    await deps.queue.send(COMPLETE_QUEUE, { shop, campaignId }, { runAt: c.endsAt ?? undefined, singletonKey: `campaign.complete:${campaignId}` });
  } catch (e) {
    const err = isAppError(e) ? e : new AppError("INTERNAL", (e as Error)?.message ?? String(e), { cause: e });
    await deps.sql.query(`UPDATE "Campaign" SET "launchError" = $2, "launchErrorDetails" = $3::jsonb, "updatedAt" = now() WHERE id = $1`, [
      campaignId,
      err.retryable ? `${err.message} (retrying)` : err.message,
      JSON.stringify({ code: err.code, details: err.details ?? null }),
    ]);
    // userErrors and bad settings do not fix themselves: stop, show them, let the merchant retry.
    if (err.retryable || err.code === "INTERNAL" || err.code === "NETWORK") throw err;
  }
}

async function snapshotMembers(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  const targets = await deps.sql.query<{ id: string; branch: string }>(
    `SELECT "customerId"::text AS id, branch FROM "CustomerScore" WHERE shop = $1 AND target AND branch IN ('VIP', 'Standard') ORDER BY "customerId"`,
    [c.shop],
  );
  if (!targets.length) throw new AppError("INSUFFICIENT_DATA", "No customers to win back: the analysis has not marked any target customers yet");
  const ids: string[] = [];
  const branches: string[] = [];
  const holdouts: boolean[] = [];
  for (const t of targets) {
    ids.push(t.id);
    branches.push(t.branch);
    holdouts.push(isHoldout(c.id, t.id, c.settings.holdoutShare));
  }
  const launchAt = (c.launchAt ?? deps.now()).toISOString();
  await deps.sql.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt")
       SELECT $1, u.id, $2, u.branch, u.holdout, $3 FROM unnest($4::bigint[], $5::text[], $6::boolean[]) AS u(id, branch, holdout)
       ON CONFLICT DO NOTHING`,
      [c.id, c.shop, launchAt, ids, branches, holdouts],
    );
    const counts = (
      await tx.query<{ treated: number; holdout: number; vip: number; standard: number }>(
        `SELECT count(*) FILTER (WHERE NOT holdout)::int AS treated, count(*) FILTER (WHERE holdout)::int AS holdout,
                count(*) FILTER (WHERE branch = 'VIP')::int AS vip, count(*) FILTER (WHERE branch = 'Standard')::int AS standard
         FROM "CampaignMember" WHERE "campaignId" = $1`,
        [c.id],
      )
    )[0]!;
    await recordStep(tx, c.id, "members", { ...counts, doneAt: deps.now().toISOString() });
  });
}



async function tagCustomers(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const total = (
    await deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout`, [c.id])
  )[0]!.n;
  const threshold = deps.bulkTagThreshold ?? DEFAULT_BULK_TAG_THRESHOLD;
  if (total > threshold || c.launchSteps.tags?.bulkOperationId) return tagInBulk(deps, client, c);
  await recordStep(deps.sql, c.id, "tags", { mode: "calls" });
  const pending = await untagged(deps.sql, c.id);
  const failed = [...(c.launchSteps.tags?.failed ?? [])];
  for (const id of pending) {
    const data = parseOrThrow(
      z.object({ tagsAdd: z.object({ node: z.object({ id: z.string() }).nullish(), userErrors: UserErrorsSchema }).nullable() }),
      await client.request(TAGS_ADD, { id: customerGid(id), tags: [c.tag] }),
      "tagsAdd",
    );
    const errs = data.tagsAdd?.userErrors ?? [{ message: "tagsAdd returned nothing" }];
    if (errs.length) {
      // One customer deleted in Shopify since the analysis must not block the campaign: it leaves, and the page lists it.
      failed.push({ customerId: id, message: errs.map((u) => u.message).join("; ") });
      await exitMember(deps.sql, c.id, id, "tag_failed", deps.now());
    } else {
      await deps.sql.query(`UPDATE "CampaignMember" SET "taggedAt" = $3 WHERE "campaignId" = $1 AND "customerId" = $2`, [c.id, id, deps.now().toISOString()]);
    }
  }
  await recordStep(deps.sql, c.id, "tags", { mode: "calls", tagged: await taggedCount(deps.sql, c.id), failed, doneAt: deps.now().toISOString() });
}

async function untagged(sql: Sql, campaignId: string): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL AND "exitedAt" IS NULL ORDER BY "customerId"`,
    [campaignId],
  );
  return rows.map((r) => r.id);
}

async function taggedCount(sql: Sql, campaignId: string): Promise<number> {
  return (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND "taggedAt" IS NOT NULL`, [campaignId]))[0]!.n;
}

async function exitMember(sql: Sql, campaignId: string, customerId: string, reason: string, now: Date) {
  await sql.query(
    `UPDATE "CampaignMember" SET "exitedAt" = $3, "exitReason" = $4 WHERE "campaignId" = $1 AND "customerId" = $2 AND "exitedAt" IS NULL`,
    [campaignId, customerId, now.toISOString(), reason],
  );
  await sql.query(
    `UPDATE "CampaignTouch" SET state = 'canceled', reason = $3, "updatedAt" = now() WHERE "campaignId" = $1 AND "customerId" = $2 AND state = 'scheduled'`,
    [campaignId, customerId, reason],
  );
}
export { exitMember };

/**
 * Thousands of tagsAdd calls would take minutes of throttled API time; one bulk mutation runs them
 * inside Shopify. The operation id is recorded before waiting, so a retried job polls the same
 * operation instead of starting another. Lines map back to customers by their position: the upload
 * lists untagged members in customer id order, and that set does not change until the result is read.
 */
async function tagInBulk(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const pending = await untagged(deps.sql, c.id);
  let opId = c.launchSteps.tags?.bulkOperationId;
  if (!opId) {
    if (!pending.length) {
      await recordStep(deps.sql, c.id, "tags", { mode: "bulk", tagged: await taggedCount(deps.sql, c.id), doneAt: deps.now().toISOString() });
      return;
    }
    opId = await startBulkMutation(client, {
      mutation: TAGS_ADD_BULK_LINE,
      variables: pending.map((id) => ({ id: customerGid(id), tags: [c.tag] })),
      filename: `campaign-${c.id}-tags.jsonl`,
      clientIdentifier: `winback-campaign-tags:${c.id}`,
      fetch: deps.fetch,
    });
    await recordStep(deps.sql, c.id, "tags", { mode: "bulk", bulkOperationId: opId });
  }
  const op = await waitForBulkOperation(client, opId, {
    sleep: deps.sleep,
    pollMs: deps.bulkPollMs,
    waitMs: deps.bulkWaitMs ?? 120_000,
    label: "bulk tagging (the launch continues when it finishes)",
  });
  if (op.status !== "COMPLETED") {
    // Forget the failed operation so the retry uploads the still-untagged customers again (tagsAdd is idempotent).
    await deps.sql.query(`UPDATE "Campaign" SET "launchSteps" = "launchSteps" #- '{tags,bulkOperationId}' WHERE id = $1`, [c.id]);
    throw new AppError("BULK_OPERATION_FAILED", `bulk tagging ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`, { retryable: true, retryAfterMs: 10_000 });
  }
  const results = await readBulkMutationResults(op, deps.fetch);
  const now = deps.now().toISOString();
  const failed = [...(c.launchSteps.tags?.failed ?? [])];
  const ok: string[] = [];
  pending.forEach((id, line) => {
    const msgs = lineMessages(results.get(line), "tagsAdd");
    if (msgs.length) failed.push({ customerId: id, message: msgs.join("; ") });
    else ok.push(id);
  });
  await deps.sql.transaction(async (tx) => {
    await tx.query(`UPDATE "CampaignMember" SET "taggedAt" = $2 WHERE "campaignId" = $1 AND "customerId" = ANY($3::bigint[])`, [c.id, now, ok]);
    for (const f of failed) await exitMember(tx, c.id, f.customerId, "tag_failed", deps.now());
    await recordStep(tx, c.id, "tags", { mode: "bulk", tagged: await taggedCount(tx, c.id), failed, doneAt: now });
  });
}

const SegmentPayload = z.object({
  segmentCreate: z.object({ segment: z.object({ id: z.string(), name: z.string(), query: z.string() }).nullish(), userErrors: UserErrorsSchema }),
});

/**
 * Shopify does not refuse a second segment with the same name (it appends " (2)"), so a retry after
 * a lost answer would leave a twin. Looked up first instead: our segment is the one whose query
 * names this campaign's tag, which nothing else uses.
 */
async function createSegment(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const name = segmentNameFor(c);
  const query = `customer_tags CONTAINS '${c.tag}'`;
  const found = parseOrThrow(
    z.object({ segments: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string(), query: z.string() })) }) }),
    await client.request(SEGMENTS_BY_TAG, { query: c.tag }),
    "segments",
  );
  const mine = found.segments.nodes.find((s) => s.query.replace(/\s+/g, " ").trim() === query);
  let segmentId = mine?.id;
  const adopted = !!mine;
  if (!segmentId) {
    const data = parseOrThrow(SegmentPayload, await client.request(SEGMENT_CREATE, { name, query }), "segmentCreate");
    assertNoUserErrors(data.segmentCreate.userErrors, "segmentCreate");
    segmentId = data.segmentCreate.segment?.id;
    if (!segmentId) throw new AppError("SHOPIFY_GRAPHQL", "segmentCreate returned no segment");
  }
  await deps.sql.transaction(async (tx) => {
    await tx.query(`UPDATE "Campaign" SET "segmentId" = $2, "updatedAt" = now() WHERE id = $1`, [c.id, segmentId]);
    await recordStep(tx, c.id, "segment", { segmentId, adopted, doneAt: deps.now().toISOString() });
  });
}

const ByCodePayload = z.object({
  codeDiscountNodeByCode: z.object({ id: z.string(), codeDiscount: z.object({ __typename: z.string(), title: z.string().nullish() }).passthrough() }).nullable(),
});
const DiscountPayload = z.object({
  discountCodeBasicCreate: z.object({ codeDiscountNode: z.object({ id: z.string() }).nullish(), userErrors: UserErrorsSchema }),
});

export function discountInput(c: CampaignRow, segmentId: string) {
  const d = c.settings.discount;
  return {
    title: discountTitleFor(c),
    code: c.discountCode,
    startsAt: (c.launchAt ?? new Date()).toISOString(),
    endsAt: c.discountEndsAt!.toISOString(),
    context: { customerSegments: { add: [segmentId] } },
    customerGets: {
      value: d.kind === "percentage" ? { percentage: d.value / 100 } : { discountAmount: { amount: d.value.toFixed(2), appliesOnEachItem: false } },
      items: { all: true },
    },
    ...(d.minimumSubtotal != null && d.minimumSubtotal > 0 ? { minimumRequirement: { subtotal: { greaterThanOrEqualToSubtotal: d.minimumSubtotal.toFixed(2) } } } : {}),
    appliesOncePerCustomer: d.appliesOncePerCustomer,
    combinesWith: { orderDiscounts: d.combinesWith.orderDiscounts, productDiscounts: d.combinesWith.productDiscounts, shippingDiscounts: d.combinesWith.shippingDiscounts },
  };
}

/**
 * Looked up by code first: if the create went through but its answer was lost, the code exists with
 * our title and is adopted. A code that exists with another title is the merchant's: creating then
 * fails with Shopify's own userError, which the page shows.
 */
async function createDiscount(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const segmentId = c.segmentId ?? c.launchSteps.segment?.segmentId;
  if (!segmentId) throw new AppError("INTERNAL", "discount step reached without a segment");
  const existing = parseOrThrow(ByCodePayload, await client.request(CODE_DISCOUNT_BY_CODE, { code: c.discountCode }), "codeDiscountNodeByCode");
  let discountId: string | undefined;
  let adopted = false;
  if (existing.codeDiscountNodeByCode && existing.codeDiscountNodeByCode.codeDiscount.title === discountTitleFor(c)) {
    discountId = existing.codeDiscountNodeByCode.id;
    adopted = true;
  } else {
    const data = parseOrThrow(DiscountPayload, await client.request(DISCOUNT_CODE_BASIC_CREATE, { basicCodeDiscount: discountInput(c, segmentId) }), "discountCodeBasicCreate");
    assertNoUserErrors(data.discountCodeBasicCreate.userErrors, "discountCodeBasicCreate");
    discountId = data.discountCodeBasicCreate.codeDiscountNode?.id;
    if (!discountId) throw new AppError("SHOPIFY_GRAPHQL", "discountCodeBasicCreate returned no discount");
  }
  await deps.sql.transaction(async (tx) => {
    await tx.query(`UPDATE "Campaign" SET "discountId" = $2, "updatedAt" = now() WHERE id = $1`, [c.id, discountId]);
    await recordStep(tx, c.id, "discount", { discountId, adopted, doneAt: deps.now().toISOString() });
  });
}

async function createOutreach(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  const vips = await deps.sql.query<{ id: string }>(
    `SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND branch = 'VIP' AND NOT holdout AND "exitedAt" IS NULL ORDER BY "customerId"`,
    [c.id],
  );
  if (vips.length) {
    await deps.outreach.createTasks(deps.sql, { shop: c.shop, campaignId: c.id, launchAt: c.launchAt!, settings: c.settings, customerIds: vips.map((v) => v.id) });
    // Without this the new tasks would wait for the next sync's periodic check to escalate.
    await deps.outreach.scheduleEscalation(deps.queue, c.shop, c.launchAt!, c.settings);
  }
  await recordStep(deps.sql, c.id, "outreach", { tasks: vips.length, doneAt: deps.now().toISOString() });
}

/**
 * Touch rows first (unique per campaign, customer and day), then one job per row; a row remembers
 * its job so a resumed launch enqueues only what is missing. The touch job itself is idempotent too.
 */
async function scheduleTouches(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  const launchAt = c.launchAt!;
  for (const branch of ["VIP", "Standard"] as const) {
    const steps = touchSchedule(launchAt, branch, c.settings);
    await deps.sql.query(
      `INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", state, "updatedAt")
       SELECT m."campaignId", m."customerId", s.day, m.shop, s.step, m.branch, s.due, 'scheduled', now()
       FROM "CampaignMember" m CROSS JOIN unnest($3::int[], $4::int[], $5::timestamp[]) AS s(day, step, due)
       WHERE m."campaignId" = $1 AND m.branch = $2 AND NOT m.holdout AND m."exitedAt" IS NULL
       ON CONFLICT DO NOTHING`,
      [c.id, branch, steps.map((s) => s.day), steps.map((s) => s.step), steps.map((s) => s.dueAt.toISOString())],
    );
  }
  let enqueued = 0;
  for (;;) {
    const batch = await deps.sql.query<{ customerId: string; day: number; dueAt: Date }>(
      `SELECT "customerId"::text AS "customerId", day, "dueAt" FROM "CampaignTouch" WHERE "campaignId" = $1 AND "jobId" IS NULL AND state = 'scheduled'
       ORDER BY "dueAt", "customerId" LIMIT 500`,
      [c.id],
    );
    if (!batch.length) break;
    const jobIds: string[] = [];
    for (const t of batch) {
      const jobId = await deps.queue.send(
        TOUCH_QUEUE,
        { shop: c.shop, campaignId: c.id, customerId: t.customerId, day: t.day },
        { runAt: new Date(t.dueAt), singletonKey: `campaign.touch:${c.id}:${t.customerId}:${t.day}` },
      );
      jobIds.push(jobId ?? "existing");
      enqueued++;
    }
    // Killed before this update, the batch is sent again on resume: the singleton keys and the touch job's own state check absorb it.
    await deps.sql.query(
      `UPDATE "CampaignTouch" t SET "jobId" = u.job FROM unnest($2::bigint[], $3::int[], $4::text[]) AS u(customer, day, job)
       WHERE t."campaignId" = $1 AND t."customerId" = u.customer AND t.day = u.day`,
      [c.id, batch.map((t) => t.customerId), batch.map((t) => t.day), jobIds],
    );
  }
  const scheduled = (await deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1`, [c.id]))[0]!.n;
  await recordStep(deps.sql, c.id, "touches", { scheduled, enqueued: (c.launchSteps.touches?.enqueued ?? 0) + enqueued, doneAt: deps.now().toISOString() });
}

/** What the confirmation modal promises, in the words the merchant reads. */
export function launchSummary(counts: { treated: number; vipTreated: number; standardTreated: number }, s: CampaignSettings, launchAt: Date, currency?: string) {
  return {
    tagged: counts.treated,
    discount: describeDiscount(s.discount, currency),
    discountEndsAt: discountEndsAt(launchAt, s),
    outreachTasks: counts.vipTreated,
    day0Emails: counts.treated,
  };
}
