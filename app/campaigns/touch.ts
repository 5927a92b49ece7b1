import type { z } from "zod";
import type { Sql } from "../db/sql";
import { discountEndsAt, evaluateGuardrails, nextTouchDecision, type CampaignStatus, type GuardrailReason } from "../domain/campaigns";
import { AppError } from "../lib/errors";
import type { OutboundEmail, SendOutcome } from "../messaging/types";
import { shopFacts } from "../shop-settings.server";
import type { CampaignDeps } from "./deps";
import { discountLink, type ShopInfo } from "./email";
import { offerForMember } from "./experiment";
import { conciergeContact } from "../outreach/settings";
import { eachLimit, enqueueTouchBatch, exitMember, TOUCH_QUEUE, type TouchBatchPayload, type TouchPayload } from "./launch";
import { reconcileShopTotals } from "./store/totals";
import {
  completeCampaignRows,
  dueTouchesOfBatch,
  findTouch,
  getCampaign,
  lastSentAt,
  markReactivated,
  markTouchDeferred,
  membershipsWithWindowAt,
  membersWithWindows,
  nextRunOfBatch,
  pauseCampaignRow,
  setTouchState,
  type CampaignRow,
  type TouchRow,
} from "./store";
import { customerById, customersByIds } from "../sync/store/customers";
import { lastSentAtOf, setTouchStates, touchesOf, type TouchOutcomeRow } from "./store/touch-batch";
import { firstPurchaseSince, firstPurchasesInWindows, qualifyingPurchase } from "../sync/store/purchases";
import { branchFor, branchOfDay, variantOf, type BranchDecision } from "../domain/campaigns/branching";
import { firstHumanClicks } from "../messaging/store";

function domainStatus(c: CampaignRow, now: Date): CampaignStatus {
  if (c.status === "stopped") return "cancelled";
  if (c.status === "completed" || (c.endsAt && now.getTime() >= c.endsAt.getTime())) return "completed";
  if (c.status === "paused") return "paused";
  if (c.status === "active") return "active";
  return "scheduled";
}

async function setTouch(
  sql: Sql,
  p: z.infer<typeof TouchPayload>,
  state: string,
  reason: string | null,
  extra: { messageId?: string; flowFired?: boolean; variant?: string | null } = {},
) {
  await setTouchState(sql, p, state, reason, extra);
}

export type TouchResult = { action: "sent" | "skipped" | "held" | "exited" | "deferred" | "noop"; reason?: string };

/**
 * One scheduled message to one customer. The exit rules come from the domain; the messenger adds
 * consent, frequency cap and dedupe (the dedupe key makes a retried job after a crash a no-op).
 * After a send the campaign's guardrails are evaluated, and a breach pauses it.
 */
export async function runTouch(
  deps: CampaignDeps,
  p: z.infer<typeof TouchPayload>,
  opts: { /** run by its batch's job, which re-arms itself for deferred touches */ inBatch?: boolean } = {},
): Promise<TouchResult> {
  const now = deps.now();
  const c = await getCampaign(deps.sql, p.shop, p.campaignId);
  const t = await findTouch(deps.sql, p.campaignId, p.customerId, p.day);
  if (!t) throw new AppError("NOT_FOUND", `No touch for campaign ${p.campaignId}, customer ${p.customerId}, day ${p.day}`);
  if (t.state !== "scheduled") return { action: "noop", reason: t.state };
  if (t.exitedAt) {
    await setTouch(deps.sql, p, "canceled", t.exitReason ?? "exited");
    return { action: "exited", reason: t.exitReason ?? "exited" };
  }
  // Read the orders themselves as well as the webhook's mark: a webhook can arrive after the touch.
  // Since the member's enrolment: the launch for a campaign, the day they joined for a program.
  const ordered = !!t.reactivatedAt || !!(await firstPurchaseSince(deps.sql, p.shop, p.customerId, new Date(t.assignedAt)));
  const contact = await customerById(deps.sql, p.shop, p.customerId);
  const decision = nextTouchDecision({
    customerState: { ordered, unsubscribed: contact?.emailConsent === "UNSUBSCRIBED", inHoldout: t.holdout },
    campaignStatus: domainStatus(c, now),
    lastMessageAt: await lastSentAt(deps.sql, p.shop, p.customerId, p),
    now,
    dueAt: new Date(t.dueAt),
    settings: c.settings,
  });
  if (decision.action === "exit") {
    await exitMember(deps.sql, p.campaignId, p.customerId, decision.reason, now);
    await setTouch(deps.sql, p, "canceled", decision.reason);
    return { action: "exited", reason: decision.reason };
  }
  if (decision.action === "hold") {
    // Paused: the touch waits without a job; resuming the campaign sends it (control.ts).
    await setTouch(deps.sql, p, "held", decision.reason);
    return { action: "held", reason: decision.reason };
  }
  if (decision.action === "skip") {
    await setTouch(deps.sql, p, "skipped", decision.reason);
    return { action: "skipped", reason: decision.reason };
  }
  if (decision.action === "defer") {
    await defer(deps, p, decision.until, t.batch, opts);
    return { action: "deferred", reason: decision.reason };
  }

  const facts = await shopFacts(deps.sql, p.shop);
  const shop: ShopInfo = { ...facts, domain: p.shop };
  const dedupeKey = touchDedupeKey(p);
  let flowPayload: Record<string, unknown>;
  let outcome: SendOutcome;
  let variant: string | null = null;
  if (t.branch === "VIP" && (await deps.outreach.hasConciergeContact(deps.sql, p.shop, p.campaignId, p.customerId))) {
    // A person already talked with this VIP: an automated "just following up" would talk over them.
    await exitMember(deps.sql, p.campaignId, p.customerId, "concierge_contact", now);
    await setTouch(deps.sql, p, "canceled", "concierge_contact");
    return { action: "exited", reason: "concierge_contact" };
  }
  if (t.branch === "VIP") {
    const task = await deps.outreach.taskFor(deps.sql, p.shop, p.campaignId, p.customerId);
    const conciergeName = task?.conciergeName || c.settings.vip.conciergeName;
    const perk = task?.perk || c.settings.vip.perkOverride || "a personal concierge call";
    // Messaging writes the note in the shop's language with the merchant's blocks; replies go to the concierge (outreach settings).
    const concierge = await conciergeContact(deps.sql, p.shop);
    const who = conciergeName.trim() || concierge.name.trim() || shop.name;
    outcome = await deps.messenger.sendEmail({
      shop: p.shop,
      customerId: p.customerId,
      kind: "winback_vip",
      dedupeKey,
      campaignId: p.campaignId,
      content: {
        template: "winback_vip",
        stage: p.day === 0 ? "first" : "followup",
        firstName: contact?.firstName ?? null,
        concierge: who,
        perk,
      },
      fromName: who,
      ...(concierge.replyTo ? { replyTo: concierge.replyTo } : {}),
    });
    flowPayload = { customer_id: p.customerId, campaign_id: p.campaignId, branch: "vip", touch_day: p.day, perk };
  } else {
    // Sequences that react (ADR 101): a later step with a no-click branch reads this campaign's human clicks first.
    const ifNoClick = branchOfDay(c.settings.standard.ifNoClick, p.day);
    const clicks =
      ifNoClick && p.day > 0 ? await firstHumanClicks(deps.sql, p.shop, p.campaignId, [p.customerId]) : new Map<string, Date>();
    const branch = branchFor({ ifNoClick, day: p.day, dueAt: new Date(t.dueAt), humanClicksAt: [...clicks.values()] });
    variant = variantOf(branch, !!ifNoClick);
    const standard = standardTouch(c, t, p, contact?.firstName ?? null, shop, branch);
    if (branch.variant === "no_click" && branch.channel === "flow") {
      // The Flow trigger instead of the email: the merchant's Flow texts the customer. No email goes out.
      const fired = await deps.flow.fire({ shop: p.shop, handle: "winback-touch", payload: standard.flowPayload, dedupeKey });
      await setTouch(deps.sql, p, "sent", "flow_only", { flowFired: !!fired, variant });
      return { action: "sent", reason: "flow_only" };
    }
    outcome = await deps.messenger.sendEmail(standard.email);
    flowPayload = standard.flowPayload;
  }

  if (outcome.status === "skipped" && outcome.reason === "unsubscribed") {
    await exitMember(deps.sql, p.campaignId, p.customerId, "unsubscribed", now);
    await setTouch(deps.sql, p, "canceled", "unsubscribed");
    return { action: "exited", reason: "unsubscribed" };
  }
  if (outcome.status === "skipped" && outcome.reason === "frequency_cap") {
    await defer(deps, p, new Date(now.getTime() + c.settings.frequencyCapHours * 3_600_000), t.batch, opts);
    return { action: "deferred", reason: "frequency_cap" };
  }
  // The Flow trigger goes out even without email consent: the merchant's Flow may text the customer.
  const fired = await deps.flow.fire({ shop: p.shop, handle: "winback-touch", payload: flowPayload, dedupeKey });
  if (outcome.status === "sent") {
    await setTouch(deps.sql, p, "sent", null, { messageId: outcome.messageId, flowFired: !!fired, variant });
    await checkGuardrails(deps, c);
    return { action: "sent" };
  }
  // "duplicate": a previous attempt sent it and died before recording; the message is out.
  if (outcome.reason === "duplicate") {
    await setTouch(deps.sql, p, "sent", "duplicate", { flowFired: !!fired, variant });
    return { action: "sent", reason: "duplicate" };
  }
  await setTouch(deps.sql, p, "skipped", outcome.reason, { flowFired: !!fired, variant });
  return { action: "skipped", reason: outcome.reason };
}

/** The Standard branch's email and Flow payload for one touch (runTouch and the batched send build it alike). */
function standardTouch(
  c: CampaignRow,
  t: Pick<TouchRow, "assignedAt" | "arm"> & { offerVersion?: number | null },
  p: z.infer<typeof TouchPayload>,
  firstName: string | null,
  shop: ShopInfo,
  /** The step's no-click variant (ADR 101): its subject and intro replace the step's. */
  branch: BranchDecision = { variant: "main" },
): { email: OutboundEmail; flowPayload: Record<string, unknown> } {
  // A program's code has no end date in Shopify; the member's offer ends validityDays after they joined.
  const endsAt = c.discountEndsAt ?? discountEndsAt(new Date(t.assignedAt), c.settings);
  // In an offer experiment the member's arm decides the offer, the code and the subject (ADR 099);
  // in a program, the offer version the member joined with (ADR 104).
  const arm = offerForMember(c, t.arm ?? null, t.offerVersion ?? null);
  // A perk arm has no code: the email states the perk and links to the shop (ADR 099).
  if (!arm.code && arm.offer.kind !== "perk")
    throw new AppError("INVALID_INPUT", `Offer ${t.arm} of campaign ${c.id} has no code; it cannot be emailed as a discount`);
  const code = arm.code;
  const d = arm.settings.discount;
  const o = arm.offer;
  const email: OutboundEmail = {
    shop: p.shop,
    customerId: p.customerId,
    kind: "winback_standard",
    dedupeKey: touchDedupeKey(p),
    campaignId: p.campaignId,
    content: {
      template: "winback_standard",
      stage: p.day === 0 ? "first" : "reminder",
      firstName,
      discount:
        o.kind === "perk"
          ? { perk: o.text }
          : o.kind === "free_shipping"
            ? { freeShipping: true }
            : d.kind === "percentage"
              ? { percent: d.value }
              : { amount: d.value },
      code,
      endsAt,
      link: code ? discountLink(shop, code) : `https://${shop.domain}/`,
      // Only terms the code itself enforces in Shopify (ADR 077).
      terms: {
        minimumSubtotal: d.minimumSubtotal || null,
        oncePerCustomer: d.appliesOncePerCustomer,
        products: d.appliesTo.kind === "products" ? d.appliesTo.products.map((x) => x.title) : [],
        combinesWith: d.combinesWith,
      },
      subject: (branch.variant === "no_click" && branch.channel === "email" && branch.subject) || arm.subject,
      ...(branch.variant === "no_click" && branch.channel === "email" && branch.intro ? { intro: branch.intro } : {}),
    },
  };
  const flowPayload = {
    customer_id: p.customerId,
    campaign_id: p.campaignId,
    // A Flow-only touch says so, so the merchant's Flow can text instead of waiting for the email.
    branch: branch.variant === "no_click" && branch.channel === "flow" ? "standard_no_click" : "standard",
    touch_day: p.day,
    discount_code: code ?? "",
    discount_ends_at: endsAt.toISOString(),
  };
  return { email, flowPayload };
}

/** The messenger's and Flow's dedupe key of a touch: a retried touch is never sent or fired twice. */
function touchDedupeKey(p: z.infer<typeof TouchPayload>): string {
  return `campaign:${p.campaignId}:${p.customerId}:day${p.day}`;
}

/**
 * The touch is asked again at `until`. A batched touch only records when (notBefore): its batch's
 * job re-arms itself for the earliest such time when it ends, so deferrals never multiply jobs
 * (ADR 084). Run outside its batch (a direct call), it re-arms the batch itself. A touch written
 * before batching keeps its own job.
 */
async function defer(deps: CampaignDeps, p: z.infer<typeof TouchPayload>, until: Date, batch: number | null, opts: { inBatch?: boolean }) {
  await markTouchDeferred(deps.sql, p, until);
  if (opts.inBatch) return;
  if (batch != null) {
    await enqueueTouchBatch(deps, { shop: p.shop, campaignId: p.campaignId, day: p.day, batch, runAt: until });
    return;
  }
  // A fresh singleton key: the running job still holds the touch's own key.
  await deps.queue.send(TOUCH_QUEUE, p, {
    runAt: until,
    singletonKey: `campaign.touch:${p.campaignId}:${p.customerId}:${p.day}:${until.getTime()}`,
  });
}

/** Touches of one batch run at once: each waits mostly on the database and the mail server. */
export const TOUCH_BATCH_CONCURRENCY = 4;

export type TouchBatchResult = { ran: number; actions: Partial<Record<TouchResult["action"], number>>; nextRunAt: Date | null };

/**
 * One batch job (ADR 084): runTouch, with every rule it keeps (exit, hold, skip, defer, guardrails),
 * for each touch of the batch that is scheduled and due, a few at a time. A re-run after a crash
 * finds the touches already done in another state (noop), and one whose email went out before its
 * row was written is answered "duplicate" by the messenger's dedupe key: nobody gets it twice.
 * When it ends, the batch re-arms itself for its next touch (deferred, or a later due time); a
 * touch that failed fails the job after the others ran, and the queue's retry runs what is left.
 */
export async function runTouchBatch(
  deps: CampaignDeps,
  p: z.infer<typeof TouchBatchPayload>,
  opts: { concurrency?: number } = {},
): Promise<TouchBatchResult> {
  const now = deps.now();
  const due = await dueTouchesOfBatch(deps.sql, p.campaignId, p.day, p.batch, now);
  const actions: TouchBatchResult["actions"] = {};
  let nextRunAt: Date | null = null;
  const count = (a: TouchResult["action"], n = 1) => (actions[a] = (actions[a] ?? 0) + n);
  try {
    if (deps.messenger.sendEmails) {
      const chunks: string[][] = [];
      for (let i = 0; i < due.length; i += TOUCH_SEND_CHUNK) chunks.push(due.slice(i, i + TOUCH_SEND_CHUNK));
      await eachLimit(chunks, TOUCH_SEND_CHUNKS_IN_FLIGHT, (ids) => runTouchChunk(deps, p, ids, count));
    } else {
      await eachLimit(due, opts.concurrency ?? TOUCH_BATCH_CONCURRENCY, async (customerId) => {
        const r = await runTouch(deps, { shop: p.shop, campaignId: p.campaignId, customerId, day: p.day }, { inBatch: true });
        count(r.action);
      });
    }
  } finally {
    const next = await nextRunOfBatch(deps.sql, p.campaignId, p.day, p.batch);
    // Touches due now that are still scheduled failed: the retry of this job runs them, not another job.
    if (next && next.getTime() > now.getTime()) {
      nextRunAt = next;
      await enqueueTouchBatch(deps, { ...p, runAt: next });
    }
  }
  return { ran: due.length, actions, nextRunAt };
}

/**
 * Touches of a batch read, decided and sent together (docs/decisions/095-batched-sends.md): about
 * what the pooled SMTP transport has in flight, so a crash leaves at most that many claimed but unsent.
 */
export const TOUCH_SEND_CHUNK = 25;
/** Chunks of one batch at once: one chunk's SMTP overlaps the next one's reads and claims. */
export const TOUCH_SEND_CHUNKS_IN_FLIGHT = 3;

/**
 * runTouch for a chunk of a batch's touches, with the same rules, reading in one statement each
 * what runTouch reads per touch (the campaign, the touches with their members' exits, first
 * purchases, contacts, last sends), deciding each touch with the same domain function, sending the
 * Standard emails through messenger.sendEmails and writing the outcomes in one statement. The
 * campaign is read per chunk, so a pause (by the merchant or a guardrail) holds the next chunk;
 * consent and suppression are decided by the messenger under its lock at send time. Every touch
 * that is not a plain Standard send (exit, hold, skip, defer, VIP notes) goes through runTouch
 * itself, which decides again from fresh reads.
 */
async function runTouchChunk(
  deps: CampaignDeps,
  p: z.infer<typeof TouchBatchPayload>,
  ids: string[],
  count: (a: TouchResult["action"], n?: number) => void,
): Promise<void> {
  const now = deps.now();
  const key = (customerId: string) => ({ shop: p.shop, campaignId: p.campaignId, customerId, day: p.day });
  const [c, touches, contacts, lastSent] = await Promise.all([
    getCampaign(deps.sql, p.shop, p.campaignId),
    touchesOf(deps.sql, p.campaignId, p.day, ids),
    customersByIds(deps.sql, p.shop, ids),
    lastSentAtOf(deps.sql, p.shop, ids, { campaignId: p.campaignId, day: p.day }),
  ]);
  const open = ids.filter((id) => touches.get(id)?.state === "scheduled" && !touches.get(id)!.reactivatedAt && !touches.get(id)!.exitedAt);
  const purchases = await firstPurchasesInWindows(
    deps.sql,
    p.shop,
    open.map((id) => ({ customerId: id, from: new Date(touches.get(id)!.assignedAt) })),
  );
  const ordered = new Set(open.filter((_, i) => purchases[i]));
  // Sequences that react (ADR 101): the chunk's human clicks on this campaign in one read, only when the step branches.
  const ifNoClick = branchOfDay(c.settings.standard.ifNoClick, p.day);
  const clicks = ifNoClick && p.day > 0 ? await firstHumanClicks(deps.sql, p.shop, p.campaignId, open) : new Map<string, Date>();
  const single: string[] = [];
  const sends: Array<{ customerId: string; email: OutboundEmail; flowPayload: Record<string, unknown>; variant: string | null }> = [];
  /** Touches whose branch is the Flow trigger instead of the email. */
  const flowOnly: Array<{ customerId: string; flowPayload: Record<string, unknown>; dedupeKey: string; variant: string | null }> = [];
  let shop: ShopInfo | null = null;
  for (const id of ids) {
    const t = touches.get(id);
    if (!t || t.state !== "scheduled" || t.exitedAt || t.branch === "VIP") {
      single.push(id);
      continue;
    }
    const contact = contacts.get(id) ?? null;
    const decision = nextTouchDecision({
      customerState: {
        ordered: !!t.reactivatedAt || ordered.has(id),
        unsubscribed: contact?.emailConsent === "UNSUBSCRIBED",
        inHoldout: t.holdout,
      },
      campaignStatus: domainStatus(c, now),
      lastMessageAt: lastSent.get(id) ?? null,
      now,
      dueAt: new Date(t.dueAt),
      settings: c.settings,
    });
    if (decision.action !== "send") {
      single.push(id);
      continue;
    }
    shop ??= { ...(await shopFacts(deps.sql, p.shop)), domain: p.shop };
    const clickedAt = clicks.get(id);
    const branch = branchFor({ ifNoClick, day: p.day, dueAt: new Date(t.dueAt), humanClicksAt: clickedAt ? [clickedAt] : [] });
    const touch = standardTouch(c, t, key(id), contact?.firstName ?? null, shop, branch);
    const variant = variantOf(branch, !!ifNoClick);
    if (branch.variant === "no_click" && branch.channel === "flow") {
      flowOnly.push({ customerId: id, flowPayload: touch.flowPayload, dedupeKey: touch.email.dedupeKey, variant });
      continue;
    }
    sends.push({ customerId: id, variant, ...touch });
  }

  const failures: unknown[] = [];
  const outcomes = sends.length ? await deps.messenger.sendEmails!(sends.map((s) => s.email)) : [];
  const rows: TouchOutcomeRow[] = [];
  let sent = 0;
  // The Flow trigger goes out even without email consent (the merchant's Flow may text the customer),
  // but not for an unsubscribe (the member exits) or a deferral (the touch is asked again).
  const flowFor: number[] = [];
  await eachLimit([...outcomes.keys()], TOUCH_SEND_CHUNK, async (i) => {
    const outcome = outcomes[i]!;
    const s = sends[i]!;
    try {
      if (outcome.status === "failed") throw outcome.error;
      if (outcome.status === "skipped" && outcome.reason === "unsubscribed") {
        await exitMember(deps.sql, p.campaignId, s.customerId, "unsubscribed", now);
        rows.push({ customerId: s.customerId, state: "canceled", reason: "unsubscribed", messageId: null, flowFired: false });
        return count("exited");
      }
      if (outcome.status === "skipped" && outcome.reason === "frequency_cap") {
        await markTouchDeferred(deps.sql, key(s.customerId), new Date(now.getTime() + c.settings.frequencyCapHours * 3_600_000));
        return count("deferred");
      }
      flowFor.push(i);
    } catch (e) {
      // Left scheduled: the job fails after the others and its retry runs this touch again (the dedupe keys hold).
      failures.push(e);
    }
  });
  const events = [
    ...flowFor.map((i) => ({
      shop: p.shop,
      handle: "winback-touch",
      payload: sends[i]!.flowPayload,
      dedupeKey: sends[i]!.email.dedupeKey,
    })),
    ...flowOnly.map((f) => ({ shop: p.shop, handle: "winback-touch", payload: f.flowPayload, dedupeKey: f.dedupeKey })),
  ];
  const fired: Array<"fired" | "duplicate" | Error> = deps.flow.fireMany ? await deps.flow.fireMany(events) : new Array(events.length);
  if (!deps.flow.fireMany)
    await eachLimit([...events.keys()], TOUCH_SEND_CHUNK, async (k) => {
      fired[k] = await deps.flow.fire(events[k]!).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    });
  for (const [k, i] of flowFor.entries()) {
    const outcome = outcomes[i]! as SendOutcome;
    const s = sends[i]!;
    if (fired[k] instanceof Error) {
      // Left scheduled, as when runTouch's fire throws: the retry finds the email a duplicate and fires again.
      failures.push(fired[k]);
      continue;
    }
    if (outcome.status === "sent") {
      rows.push({
        customerId: s.customerId,
        state: "sent",
        reason: null,
        messageId: outcome.messageId,
        flowFired: true,
        variant: s.variant,
      });
      sent++;
      count("sent");
      continue;
    }
    // "duplicate": a previous attempt sent it and died before recording; the message is out.
    const duplicate = outcome.reason === "duplicate";
    rows.push({
      customerId: s.customerId,
      state: duplicate ? "sent" : "skipped",
      reason: outcome.reason,
      messageId: null,
      flowFired: true,
      variant: s.variant,
    });
    count(duplicate ? "sent" : "skipped");
  }
  for (const [j, f] of flowOnly.entries()) {
    const r = fired[flowFor.length + j];
    if (r instanceof Error) {
      failures.push(r);
      continue;
    }
    // Sent through the merchant's Flow (e.g. a text), no email: "flow_only" tells the two apart on the page.
    rows.push({ customerId: f.customerId, state: "sent", reason: "flow_only", messageId: null, flowFired: true, variant: f.variant });
    count("sent");
  }
  await setTouchStates(deps.sql, p.campaignId, p.day, rows);
  // Guardrails once per chunk: a breach pauses the campaign and the next chunk's touches are held.
  if (sent) await checkGuardrails(deps, c);
  await eachLimit(single, TOUCH_BATCH_CONCURRENCY, async (id) => {
    try {
      count((await runTouch(deps, key(id), { inBatch: true })).action);
    } catch (e) {
      failures.push(e);
    }
  });
  if (failures.length) throw failures[0];
}

export function describeGuardrail(reasons: GuardrailReason[]): string {
  return reasons
    .map(
      (r) =>
        `${r.metric === "unsubscribe_rate" ? "Unsubscribe rate" : "Complaint rate"} ${(r.rate * 100).toFixed(2)}% is above the ${(r.limit * 100).toFixed(2)}% limit`,
    )
    .join("; ");
}

/** Pauses an active campaign whose unsubscribe or complaint rate broke its limit; returns whether it did. */
export async function checkGuardrails(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: CampaignRow): Promise<boolean> {
  const counts = await deps.messageCounts(deps.sql, c.id);
  const g = evaluateGuardrails(
    { deliveries: counts.delivered, unsubscribes: counts.unsubscribed, complaints: counts.complaints },
    c.settings,
  );
  if (g.status !== "pause") return false;
  return pauseCampaignRow(
    deps.sql,
    c.id,
    `Paused automatically: ${describeGuardrail(g.reasons)} after ${counts.delivered} deliveries.`,
    deps.now(),
    { ...g, counts },
  );
}

/** At the end of the window: no more touches; what is still scheduled is canceled. */
export async function completeCampaign(sql: Sql, shop: string, campaignId: string, now: Date): Promise<void> {
  const c = await getCampaign(sql, shop, campaignId);
  if (c.endsAt && now.getTime() < c.endsAt.getTime())
    throw new AppError("CONFLICT", "campaign has not ended yet", { retryable: true, retryAfterMs: c.endsAt.getTime() - now.getTime() });
  await completeCampaignRows(sql, campaignId);
}

/**
 * orders/create and orders/updated: a member who placed a qualifying order inside the window is
 * reactivated; a treated one also leaves the sequence (no more offers after they came back).
 */
export async function onOrderChanged(
  deps: Pick<CampaignDeps, "sql" | "now">,
  event: { shop: string; orderId: string; customerId: string | null },
): Promise<number> {
  const o = await qualifyingPurchase(deps.sql, event.shop, event.orderId);
  if (!o) return 0;
  const at = new Date(o.processedAt);
  const members = await membershipsWithWindowAt(deps.sql, event.shop, o.customerId, at);
  for (const m of members) {
    await markReactivated(deps.sql, m.campaignId, o.customerId, at, event.orderId);
    if (!m.holdout && !m.exitedAt) await exitMember(deps.sql, m.campaignId, o.customerId, "ordered", deps.now());
  }
  return members.length;
}

/**
 * After a sync: orders whose webhooks were lost still reactivate members and end their sequences,
 * and every campaign's measurement totals are recomputed from the orders (the healing path, ADR 105).
 */
export async function reconcileReactivations(deps: Pick<CampaignDeps, "sql" | "now">, shop: string): Promise<number> {
  const members = await membersWithWindows(deps.sql, shop);
  const firsts = await firstPurchasesInWindows(
    deps.sql,
    shop,
    members.map((m) => ({ customerId: m.customerId, from: new Date(m.from), to: new Date(m.to) })),
  );
  let changed = 0;
  for (const [i, f] of firsts.entries()) {
    if (!f) continue;
    const m = members[i]!;
    const at = f.processedAt;
    if (m.reactivatedAt && new Date(m.reactivatedAt).getTime() <= at.getTime()) continue;
    if (!(await markReactivated(deps.sql, m.campaignId, m.customerId, at, f.orderId))) continue;
    changed++;
    if (!m.holdout && !m.exitedAt) await exitMember(deps.sql, m.campaignId, m.customerId, "ordered", deps.now());
  }
  await reconcileShopTotals(deps.sql, shop, deps.now());
  return changed;
}
