import { z } from "zod";
import {
  codeEndsAt,
  discountCodeFor,
  discountEndsAt,
  isHoldout,
  parseCampaignSettings,
  touchSchedule,
  type CampaignSettings,
} from "../domain/campaigns";
import { AppError, isAppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { readBulkMutationFailures, waitForBulkOperation } from "../shopify/bulk/mutations";
import { addTags, startBulkTagging } from "../shopify/customers";
import { createBasicCodeDiscount, createFreeShippingCodeDiscount, findCodeDiscount } from "../shopify/discounts";
import { armFor, armTagFor, offerHasCode, parseExperiment, type ArmKey, type Experiment, type Offer } from "../domain/campaigns/experiment";
import { armDiscountTitle, armTargets, campaignForArm, checkLaunchableExperiment, ownOffer } from "./experiment";
import { versionTag } from "../domain/campaigns/offer-versions";
import type { AdminClient } from "../shopify/graphql-client";
import { requireOk } from "../shopify/response";
import { createSegment as createShopifySegment, searchSegments } from "../shopify/segments";
import { saveSettingsSection } from "../shop-settings.server";
import { DEFAULT_BULK_TAG_THRESHOLD, type CampaignDeps } from "./deps";
import { enqueueMarketingReport } from "./marketing-report";
import { lockCampaignTotals, reconcileCampaignTotals } from "./store/totals";
import {
  activeTreatedIds,
  analyzeCampaignTables,
  campaignShopOf,
  countByReason,
  engagedCustomers,
  clearLaunchError,
  countTouches,
  countTreated,
  exitMember,
  forgetBulkTagOperation,
  getCampaign,
  insertLaunchingCampaign,
  insertMembers,
  insertTouches,
  markLaunched,
  markTagged,
  recordLaunchError,
  recordStep,
  setCampaignDiscount,
  setCampaignSegment,
  pendingTouchBatches,
  countUntagged,
  exitMembers,
  markUntaggedTagged,
  untaggedMemberPage,
  untaggedMembersAt,
  taggedCount,
  untaggedMemberBranches,
  type CampaignRow,
} from "./store";
import { winbackTargets } from "../analysis/store";
import { chooseTargets } from "./uplift";
import { DAY_MS } from "../domain/analytics/dates";
import { customerGid } from "../shopify/ids";

export const LAUNCH_QUEUE = "campaign.launch";
/** One touch per job: touches written before batching, and nothing else since ADR 084. */
export const TOUCH_QUEUE = "campaign.touch";
/** One job per campaign, day and batch of touches (ADR 084). */
export const TOUCH_BATCH_QUEUE = "campaign.touch-batch";
export const COMPLETE_QUEUE = "campaign.complete";

export const LaunchPayload = z.object({ shop: z.string().min(1), campaignId: z.string().min(1) });
export const TouchPayload = z.object({
  shop: z.string().min(1),
  campaignId: z.string().min(1),
  customerId: z.string().regex(/^\d+$/),
  day: z.number().int().min(0),
});
export const TouchBatchPayload = z.object({
  shop: z.string().min(1),
  campaignId: z.string().min(1),
  day: z.number().int().min(0),
  batch: z.number().int().min(0),
});

/**
 * Queues the batch's job for `runAt`. The key names the time too: the same batch at the same time
 * is queued once however often a launch, a resume or a re-armed batch asks, while a batch re-armed
 * for a later time (a deferred touch) gets a job of its own beside the running one.
 */
export async function enqueueTouchBatch(
  deps: Pick<CampaignDeps, "queue">,
  b: { shop: string; campaignId: string; day: number; batch: number; runAt: Date },
): Promise<string | null> {
  return deps.queue.send(
    TOUCH_BATCH_QUEUE,
    { shop: b.shop, campaignId: b.campaignId, day: b.day, batch: b.batch },
    { runAt: b.runAt, singletonKey: `${TOUCH_BATCH_QUEUE}:${b.campaignId}:${b.day}:${b.batch}:${b.runAt.getTime()}` },
  );
}

/**
 * Queues every batch of the campaign that still has a scheduled touch, at its earliest time (or
 * `at`, e.g. now after a resume). A few at a time: each send is a round trip to the queue.
 */
export async function enqueuePendingTouchBatches(
  deps: Pick<CampaignDeps, "sql" | "queue">,
  shop: string,
  campaignId: string,
  at?: Date,
): Promise<{ batches: number }> {
  const batches = await pendingTouchBatches(deps.sql, campaignId);
  // Never earlier than `at`: touches of a batch already due (held ones just released) run at `at`.
  const runAtOf = (b: { runAt: Date }) => (at && at.getTime() > b.runAt.getTime() ? at : b.runAt);
  await eachLimit(batches, 4, (b) => enqueueTouchBatch(deps, { shop, campaignId, day: b.day, batch: b.batch, runAt: runAtOf(b) }));
  return { batches: batches.length };
}

/** Runs `fn` over `items` with at most `limit` running at once; every item runs, the first error is thrown at the end. */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw (failed as { error: unknown }).error;
}

/** Deterministic from the campaign id, like the code: a retry tags with the same tag. */
export function campaignTagFor(campaignId: string): string {
  return `winback-${discountCodeFor(campaignId).split("-")[1]!.toLowerCase()}`;
}

/**
 * The tag a treated member gets. Only Standard members carry the campaign tag, which the
 * discount's customer segment selects: a VIP is never eligible for the Standard code (the "no
 * blanket discounts" promise, ADR 077). VIPs get their own tag so the merchant can still find them.
 * In an offer experiment a Standard member carries their arm's tag instead, which only their
 * arm's code selects (ADR 099): nobody is eligible for two arms' codes.
 */
export function memberTagFor(campaignTag: string, branch: string, arm?: ArmKey | null, offerVersion?: number | null): string {
  if (branch === "VIP") return `${campaignTag}-vip`;
  if (arm) return armTagFor(campaignTag, arm);
  // A program member who joined with a promoted offer carries that version's tag, which only its code's segment selects (ADR 104).
  return offerVersion != null && offerVersion >= 2 ? versionTag(campaignTag, offerVersion) : campaignTag;
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
  const days = Math.max(
    s.reactivationWindowDays,
    s.discount.validityDays,
    ...s.vip.touchDays.map((d) => d + 1),
    ...s.standard.touchDays.map((d) => d + 1),
  );
  return new Date(launchAt.getTime() + days * DAY_MS);
}

const LaunchRequest = z.object({
  shop: z.string().min(1),
  /** Generated when the plan page loads: a double click or a resubmitted form names the same campaign. */
  launchKey: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "launch key must be 8-64 letters, digits or dashes"),
  name: z.string().trim().min(1, "name the campaign").max(80),
  settings: z.unknown(),
  /** 2–4 offer arms for the treated Standard members (ADR 099); absent: one offer */
  experiment: z.unknown().optional(),
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
  const experiment: Experiment | null = req.experiment == null ? null : parseExperiment(req.experiment);
  if (experiment) checkLaunchableExperiment(experiment, settings);
  const id = req.launchKey.toLowerCase();
  const now = deps.now();
  const owner = await campaignShopOf(deps.sql, id);
  if (owner && owner !== req.shop) throw new AppError("CONFLICT", "launch key already used");
  const inserted = await insertLaunchingCampaign(deps.sql, {
    id,
    shop: req.shop,
    name: req.name,
    settings,
    launchAt: now,
    endsAt: campaignEndsAt(now, settings),
    tag: campaignTagFor(id),
    discountCode: discountCodeFor(id),
    discountEndsAt: discountEndsAt(now, settings),
    experiment,
  });
  if (inserted) await saveSettingsSection(deps.sql, req.shop, "campaigns", settings);
  await enqueueLaunch(deps, req.shop, id);
  return { campaignId: id, created: inserted };
}

export async function enqueueLaunch(deps: Pick<CampaignDeps, "queue">, shop: string, campaignId: string) {
  return deps.queue.send(LAUNCH_QUEUE, { shop, campaignId }, { singletonKey: `campaign.launch:${campaignId}` });
}

/** "Retry launch" after a launch stopped on an error the merchant fixed (e.g. a clashing code). */
export async function retryLaunch(deps: Pick<CampaignDeps, "sql" | "queue">, shop: string, campaignId: string) {
  const c = await getCampaign(deps.sql, shop, campaignId);
  if (c.status !== "launching") throw new AppError("CONFLICT", `Campaign is ${c.status}, not launching`);
  await clearLaunchError(deps.sql, campaignId);
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
    await markLaunched(deps.sql, campaignId);
    // The campaign appears in Shopify's Marketing reports from launch day (ADR 092); the job re-queues itself daily.
    await enqueueMarketingReport(deps, shop, campaignId);
    // A program never completes: its members join daily (program-run.ts) and each has its own window.
    if (c.kind !== "program")
      await deps.queue.send(
        COMPLETE_QUEUE,
        { shop, campaignId },
        { runAt: c.endsAt ?? undefined, singletonKey: `campaign.complete:${campaignId}` },
      );
  } catch (e) {
    const err = isAppError(e) ? e : new AppError("INTERNAL", (e as Error)?.message ?? String(e), { cause: e });
    await recordLaunchError(deps.sql, campaignId, err.retryable ? `${err.message} (retrying)` : err.message, {
      code: err.code,
      details: err.details ?? null,
    });
    // userErrors and bad settings do not fix themselves: stop, show them, let the merchant retry.
    if (err.retryable || err.code === "INTERNAL" || err.code === "NETWORK") throw err;
  }
}

async function snapshotMembers(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  if (c.kind === "program") {
    // A program launches empty (segment and code only); its daily run enrols who newly lapses.
    await recordStep(deps.sql, c.id, "members", { treated: 0, holdout: 0, vip: 0, standard: 0, doneAt: deps.now().toISOString() });
    return;
  }
  const all = await winbackTargets(deps.sql, c.shop);
  if (!all.length)
    throw new AppError("INSUFFICIENT_DATA", "No customers to win back: the analysis has not marked any target customers yet");
  const launchAt = c.launchAt ?? deps.now();
  // Another campaign's active sequence or open holdout is never enrolled again (ADR 077).
  const engaged = await engagedCustomers(deps.sql, c.shop, deps.now(), undefined, { exceptCampaignId: c.id });
  const excluded = countByReason(
    engaged,
    all.map((t) => t.id),
  );
  const targets = all.filter((t) => !engaged.has(t.id));
  if (!targets.length) {
    throw new AppError(
      "INSUFFICIENT_DATA",
      `No customers to win back: every target is in another campaign's active sequence (${excluded.active_sequence}) or open holdout (${excluded.open_holdout})`,
    );
  }
  // Whom the Standard offer goes to: by churn risk or expected incremental profit, within the budget (ADR 100). VIPs always stay.
  const pick = await chooseTargets(deps, c.shop, targets, c.settings);
  const chosen = targets.filter((t) => t.branch === "VIP" || pick.chosen.has(t.id));
  if (!chosen.length)
    throw new AppError(
      "INSUFFICIENT_DATA",
      `No customers to win back: targeting by ${pick.by === "profit" ? "expected incremental profit" : "churn risk"} within the budget chose none of ${pick.candidates} targets`,
    );
  const targeting = {
    by: pick.by,
    requested: pick.requested,
    fallbackReason: pick.fallbackReason,
    candidates: pick.candidates,
    chosen: pick.chosen.size,
  };
  const holdoutUntil = new Date(launchAt.getTime() + c.settings.reactivationWindowDays * DAY_MS);
  const arms = c.experiment?.arms.length ?? 0;
  const members = chosen.map((t) => {
    const holdout = isHoldout(c.id, t.id, c.settings.holdoutShare);
    // Offer arms split the treated Standard members (ADR 099); the hash makes a re-run assign the same arm.
    const arm = arms && !holdout && t.branch === "Standard" ? armFor(c.id, t.id, arms) : null;
    return { customerId: t.id, branch: t.branch, holdout, holdoutUntil: holdout ? holdoutUntil : null, arm, churnRisk: t.churnRisk };
  });
  await deps.sql.transaction(async (tx) => {
    // Order writes for this shop wait from here to the commit, so an order stored meanwhile is either
    // in the totals computed below or applied to them afterwards (ADR 105).
    await lockCampaignTotals(tx, c.id);
    // One COPY and one INSERT … SELECT, the churn risk at assignment in the same rows (ADR 094).
    const counts = await insertMembers(tx, c.id, c.shop, launchAt, members);
    // Orders already in the window (placed since the launch request) and every member's bucket.
    await reconcileCampaignTotals(tx, c.shop, c.id, deps.now(), { fresh: true });
    await recordStep(tx, c.id, "members", { ...counts, excluded, targeting, doneAt: deps.now().toISOString() });
  });
  await analyzeCampaignTables(deps.sql);
}

async function tagCustomers(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const total = await countTreated(deps.sql, c.id);
  const threshold = deps.bulkTagThreshold ?? DEFAULT_BULK_TAG_THRESHOLD;
  if (total > threshold || c.launchSteps.tags?.bulkOperationId) return tagInBulk(deps, client, c);
  await recordStep(deps.sql, c.id, "tags", { mode: "calls" });
  const pending = await untaggedMemberBranches(deps.sql, c.id);
  const failed = [...(c.launchSteps.tags?.failed ?? [])];
  for (const { id, branch, arm } of pending) {
    const tagged = await addTags(client, { id: customerGid(id), tags: [memberTagFor(c.tag, branch, arm)] });
    if (!tagged.ok) {
      // One customer deleted in Shopify since the analysis must not block the campaign: it leaves, and the page lists it.
      failed.push({ customerId: id, message: tagged.userErrors.map((u) => u.message).join("; ") });
      await exitMember(deps.sql, c.id, id, "tag_failed", deps.now());
    } else {
      await markTagged(deps.sql, c.id, [id], deps.now());
    }
  }
  await recordStep(deps.sql, c.id, "tags", {
    mode: "calls",
    tagged: await taggedCount(deps.sql, c.id),
    failed,
    doneAt: deps.now().toISOString(),
  });
}

export { exitMember };

/**
 * Thousands of tagsAdd calls would take minutes of throttled API time; one bulk mutation runs them
 * inside Shopify. The operation id is recorded before waiting, so a retried job polls the same
 * operation instead of starting another. Lines map back to customers by their position: the upload
 * lists untagged members in customer id order, and that set does not change until the result is read.
 */
async function tagInBulk(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  let opId = c.launchSteps.tags?.bulkOperationId;
  if (!opId) {
    if (!(await countUntagged(deps.sql, c.id))) {
      await recordStep(deps.sql, c.id, "tags", {
        mode: "bulk",
        tagged: await taggedCount(deps.sql, c.id),
        doneAt: deps.now().toISOString(),
      });
      return;
    }
    // The upload streams: members read by keyset a batch at a time, written to the staged file as they come (ADR 094).
    opId = await startBulkTagging(client, {
      lines: tagLines(deps, c),
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
    await forgetBulkTagOperation(deps.sql, c.id);
    throw new AppError("BULK_OPERATION_FAILED", `bulk tagging ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`, {
      retryable: true,
      retryAfterMs: 10_000,
    });
  }
  // Only the failing lines are kept; the rest of the untagged members (the upload's lines, unchanged since) are tagged in one statement.
  const failures = await readBulkMutationFailures(op, "tagsAdd", deps.fetch);
  const at = deps.now();
  const now = at.toISOString();
  const failed = [...(c.launchSteps.tags?.failed ?? [])];
  for (const m of await untaggedMembersAt(deps.sql, c.id, [...failures.keys()]))
    failed.push({ customerId: m.id, message: failures.get(m.line)!.join("; ") });
  await deps.sql.transaction(async (tx) => {
    await exitMembers(
      tx,
      c.id,
      failed.map((f) => f.customerId),
      "tag_failed",
      at,
    );
    await markUntaggedTagged(tx, c.id, at);
    await recordStep(tx, c.id, "tags", { mode: "bulk", tagged: await taggedCount(tx, c.id), failed, doneAt: now });
  });
}

/** The bulk upload's lines in batches: untagged members in customer id order, read by keyset. */
async function* tagLines(deps: CampaignDeps, c: CampaignRow): AsyncGenerator<Array<{ id: string; tags: string[] }>> {
  let after: string | null = null;
  for (;;) {
    const page = await untaggedMemberPage(deps.sql, c.id, after, TAG_UPLOAD_BATCH);
    if (!page.length) return;
    yield page.map((m) => ({ id: customerGid(m.id), tags: [memberTagFor(c.tag, m.branch, m.arm)] }));
    after = page[page.length - 1]!.id;
  }
}

const TAG_UPLOAD_BATCH = 10_000;

/**
 * Shopify does not refuse a second segment with the same name (it appends " (2)"), so a retry after
 * a lost answer would leave a twin. Looked up first instead: our segment is the one whose query
 * names this campaign's tag, which nothing else uses.
 */
async function createSegment(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  if (c.experiment) return createArmSegments(deps, client, c);
  const name = segmentNameFor(c);
  const query = `customer_tags CONTAINS '${c.tag}'`;
  const found = await searchSegments(client, c.tag);
  const mine = found.find((s) => s.query.replace(/\s+/g, " ").trim() === query);
  let segmentId = mine?.id;
  const adopted = !!mine;
  if (!segmentId) {
    segmentId = requireOk(await createShopifySegment(client, { name, query }), "segmentCreate").id;
  }
  await deps.sql.transaction(async (tx) => {
    await setCampaignSegment(tx, c.id, segmentId);
    await recordStep(tx, c.id, "segment", { segmentId, adopted, doneAt: deps.now().toISOString() });
  });
}

export function discountInput(c: CampaignRow, segmentId: string) {
  const d = c.settings.discount;
  return {
    title: discountTitleFor(c),
    code: c.discountCode,
    startsAt: (c.launchAt ?? new Date()).toISOString(),
    // A program's code has no end: each member's offer ends validityDays after they joined (the email says when).
    // The code works for the grace days after the end the emails announce.
    endsAt: c.discountEndsAt ? codeEndsAt(c.discountEndsAt, c.settings).toISOString() : null,
    context: { customerSegments: { add: [segmentId] } },
    customerGets: {
      value:
        d.kind === "percentage"
          ? { percentage: d.value / 100 }
          : { discountAmount: { amount: d.value.toFixed(2), appliesOnEachItem: false } },
      // What the emails say the code covers is what Shopify lets it reduce (ADR 077).
      items: d.appliesTo.kind === "products" ? { products: { productsToAdd: d.appliesTo.products.map((p) => p.id) } } : { all: true },
    },
    ...(d.minimumSubtotal != null && d.minimumSubtotal > 0
      ? { minimumRequirement: { subtotal: { greaterThanOrEqualToSubtotal: d.minimumSubtotal.toFixed(2) } } }
      : {}),
    appliesOncePerCustomer: d.appliesOncePerCustomer,
    combinesWith: {
      orderDiscounts: d.combinesWith.orderDiscounts,
      productDiscounts: d.combinesWith.productDiscounts,
      shippingDiscounts: d.combinesWith.shippingDiscounts,
    },
  };
}

/**
 * Looked up by code first: if the create went through but its answer was lost, the code exists with
 * our title and is adopted. A code that exists with another title is the merchant's: creating then
 * fails with Shopify's own userError, which the page shows.
 */
async function createDiscount(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  if (c.experiment) return createArmDiscounts(deps, client, c);
  const segmentId = c.segmentId ?? c.launchSteps.segment?.segmentId;
  if (!segmentId) throw new AppError("INTERNAL", "discount step reached without a segment");
  // A program whose own offer became a perk before its code existed has no code (ADR 104): nothing to create.
  const own = ownOffer(c).offer;
  if (!offerHasCode(own)) {
    await recordStep(deps.sql, c.id, "discount", { noCode: true, doneAt: deps.now().toISOString() });
    return;
  }
  const existing = await findCodeDiscount(client, c.discountCode);
  let discountId: string | undefined;
  let adopted = false;
  if (existing && existing.title === discountTitleFor(c)) {
    discountId = existing.id;
    adopted = true;
  } else {
    discountId = await createOfferCode(client, discountInput(c, segmentId), own);
  }
  await deps.sql.transaction(async (tx) => {
    await setCampaignDiscount(tx, c.id, discountId);
    await recordStep(tx, c.id, "discount", { discountId, adopted, doneAt: deps.now().toISOString() });
  });
}

/**
 * An experiment's segments: one per arm with a code, selecting the arm's tag, looked up before
 * create like the campaign's. Each one is recorded as soon as it exists, so a retry continues with
 * the next arm.
 */
async function createArmSegments(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const done: Record<string, string> = { ...(c.launchSteps.segment?.arms ?? {}) };
  for (const t of armTargets(c)) {
    if (done[t.arm]) continue;
    const query = `customer_tags CONTAINS '${t.tag}'`;
    const mine = (await searchSegments(client, t.tag)).find((s) => s.query.replace(/\s+/g, " ").trim() === query);
    done[t.arm] =
      mine?.id ?? requireOk(await createShopifySegment(client, { name: `${segmentNameFor(c)} ${t.arm}`, query }), "segmentCreate").id;
    await recordStep(deps.sql, c.id, "segment", { arms: done });
  }
  await recordStep(deps.sql, c.id, "segment", { arms: done, doneAt: deps.now().toISOString() });
}

/**
 * An experiment's codes: one per arm with a code, limited to the arm's segment, with the campaign's
 * terms and the arm's offer. Looked up by code first (adopted only with our title), recorded one by
 * one; a userError stops the launch and is shown like the campaign's own.
 */
async function createArmDiscounts(deps: CampaignDeps, client: AdminClient, c: CampaignRow): Promise<void> {
  const segments = c.launchSteps.segment?.arms ?? {};
  const done: Record<string, string> = { ...(c.launchSteps.discount?.arms ?? {}) };
  for (const t of armTargets(c)) {
    if (done[t.arm]) continue;
    const segmentId = segments[t.arm];
    if (!segmentId) throw new AppError("INTERNAL", `discount step reached without the segment of offer ${t.arm}`);
    const title = armDiscountTitle(c, t.arm);
    const existing = await findCodeDiscount(client, t.code);
    done[t.arm] = existing && existing.title === title ? existing.id : await createArmCode(client, c, t.arm, t.offer, segmentId, title);
    await recordStep(deps.sql, c.id, "discount", { arms: done });
  }
  await recordStep(deps.sql, c.id, "discount", { arms: done, doneAt: deps.now().toISOString() });
}

/**
 * One arm's code: a basic code for a price offer, a free-shipping code (the same terms, dates,
 * combinations, usage limit and segment, no items or value) for free shipping. Either create's
 * userError stops the launch (requireOk).
 */
async function createArmCode(client: AdminClient, c: CampaignRow, arm: ArmKey, offer: Offer, segmentId: string, title: string) {
  return createOfferCode(client, { ...discountInput(campaignForArm(c, arm), segmentId), title }, offer);
}

/**
 * Creates the code for `offer` from a basic code's input: the basic code for a price offer, else a
 * free-shipping code with the same terms (no items or value) to every destination. Either create's
 * userError is thrown (requireOk) with Shopify's message, for the page to show. Returns its id.
 */
export async function createOfferCode(client: AdminClient, input: ReturnType<typeof discountInput>, offer: Offer): Promise<string> {
  if (offer.kind === "perk") throw new AppError("INTERNAL", "a perk has no code");
  if (offer.kind !== "free_shipping") return requireOk(await createBasicCodeDiscount(client, input), "discountCodeBasicCreate").id;
  const { customerGets: _gets, ...terms } = input;
  return requireOk(await createFreeShippingCodeDiscount(client, { ...terms, destination: { all: true } }), "discountCodeFreeShippingCreate")
    .id;
}

async function createOutreach(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  const vips = await activeTreatedIds(deps.sql, c.id, "VIP");
  if (vips.length) {
    await deps.outreach.createTasks(deps.sql, {
      shop: c.shop,
      campaignId: c.id,
      launchAt: c.launchAt!,
      settings: c.settings,
      customerIds: vips,
    });
    // Without this the new tasks would wait for the next sync's periodic check to escalate.
    await deps.outreach.scheduleEscalation(deps.queue, c.shop, c.launchAt!, c.settings);
  }
  await recordStep(deps.sql, c.id, "outreach", { tasks: vips.length, doneAt: deps.now().toISOString() });
}

/**
 * Touch rows first (unique per campaign, customer and day, numbered into batches), then one job per
 * batch (ADR 084). A resumed launch enqueues again whatever batch still has scheduled touches: a
 * job already queued for the same batch and time is not queued twice, and a batch job only runs
 * the touches still scheduled and due.
 */
async function scheduleTouches(deps: CampaignDeps, c: CampaignRow): Promise<void> {
  const launchAt = c.launchAt!;
  for (const branch of ["VIP", "Standard"] as const) {
    const steps = touchSchedule(launchAt, branch, c.settings);
    await insertTouches(deps.sql, c.id, branch, steps);
  }
  await analyzeCampaignTables(deps.sql);
  const { batches } = await enqueuePendingTouchBatches(deps, c.shop, c.id);
  const scheduled = await countTouches(deps.sql, c.id);
  await recordStep(deps.sql, c.id, "touches", {
    scheduled,
    batches,
    enqueued: (c.launchSteps.touches?.enqueued ?? 0) + batches,
    doneAt: deps.now().toISOString(),
  });
}
