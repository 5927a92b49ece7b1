import type { Sql } from "../db/sql";
import { DAY_MS, dueNudges, nudgeKey, type Nudge } from "../domain/points";
import type { FlowTriggers, Messenger, SendOutcome } from "../messaging/types";
import { shopFacts } from "../shop-settings.server";
import { claimNudge, completeNudge, loadLedgerRows, loadPointsSettings, nudgeRecords, stateFromRows } from "./store";
import { ledgerSettings } from "./settings";
import { customerById } from "../sync/store/customers";
import { mostBoughtProductTitles } from "../sync/store/purchases";
import { escapeHtml as esc } from "../lib/html";
import { createFormatter, DEFAULT_LOCALE, formatContext } from "../lib/format";

/**
 * Expiry reminders (T-14/T-7/T-2 by default): the domain's `dueNudges` over the stored lots, each
 * sent once per lot and step. The row in PointsNudge is claimed first, then the email (consent
 * gate, unsubscribe and dedupe live in the Messenger) and the Flow trigger go out with the same
 * dedupe key, so a job killed halfway re-sends nothing that went out and finishes what did not.
 */
export interface NudgeDeps {
  sql: Sql;
  messenger: Messenger;
  flow: FlowTriggers;
  now?: () => Date;
  /** Where the CTA points (the shop's storefront); default https://{shop}. */
  storefrontUrl?: (shop: string) => string;
}

export interface NudgeRunResult {
  due: number;
  emailed: number;
  skipped: number;
  flowFired: number;
  failed: number;
}

export function formatMoney(amount: number, currencyCode: string): string {
  return createFormatter(formatContext({ currencyCode }, DEFAULT_LOCALE)).money(amount);
}

/** The calendar date in the shop's zone: a shopper in Tokyo must not read "expires on the 13th" for the 14th. */
export function formatShopDate(d: Date, timeZone: string): string {
  try {
    return createFormatter(formatContext({ ianaTimezone: timeZone }, DEFAULT_LOCALE)).longDate(d);
  } catch {
    // A zone Intl does not know (RangeError): the UTC date is at most a day off, better than no reminder.
    return createFormatter(formatContext({ ianaTimezone: "UTC" }, DEFAULT_LOCALE)).longDate(d);
  }
}

/** Up to three products the customer bought most often (then most recently), from their own OrderLine history. */
export async function basketSuggestion(sql: Sql, shop: string, customerId: string, limit = 3): Promise<string[]> {
  return mostBoughtProductTitles(sql, shop, customerId, limit);
}

export interface NudgeMessage {
  subject: string;
  text: string;
  html: string;
}

/** `value` is null below one whole reward: then the message names no amount (it would be zero). */
export function nudgeMessage(p: {
  shopName: string;
  points: number;
  value: string | null;
  date: string;
  basket: string[];
  ctaUrl: string;
  firstName: string | null;
}): NudgeMessage {
  const hello = p.firstName ? `Hi ${p.firstName},` : "Hi,";
  const basketLine = p.basket.length ? `Maybe a reason to come back: ${p.basket.join(", ")}.` : "";
  const subject = p.value ? `${p.points} points (${p.value}) expire on ${p.date}` : `${p.points} points expire on ${p.date}`;
  const worth = p.value ? `, worth ${p.value},` : "";
  const text = [
    hello,
    "",
    `${p.points} of your ${p.shopName} points${worth} expire on ${p.date}.`,
    basketLine,
    "",
    `Use them before they expire: ${p.ctaUrl}`,
  ]
    .filter((l, i, a) => !(l === "" && a[i - 1] === ""))
    .join("\n");
  const worthHtml = p.value ? `, worth <strong>${esc(p.value)}</strong>,` : "";
  const html = `<p>${esc(hello)}</p><p><strong>${p.points}</strong> of your ${esc(p.shopName)} points${worthHtml} expire on <strong>${esc(p.date)}</strong>.</p>${
    p.basket.length ? `<p>Maybe a reason to come back: ${p.basket.map(esc).join(", ")}.</p>` : ""
  }<p><a href="${esc(p.ctaUrl)}" style="display:inline-block;padding:10px 16px;background:#111827;color:#ffffff;text-decoration:none;border-radius:4px">Use my points</a></p>`;
  return { subject, text, html };
}

/** Sends the reminders due now for one shop. */
export async function runNudges(deps: NudgeDeps, shop: string): Promise<NudgeRunResult> {
  const now = deps.now?.() ?? new Date();
  const app = await loadPointsSettings(deps.sql, shop);
  // Off (ADR 079): no reminder for a program the merchant has not turned on (or turned off).
  if (!app.program.enabled) return { due: 0, emailed: 0, skipped: 0, flowFired: 0, failed: 0 };
  const settings = ledgerSettings(app);
  const maxOffset = Math.max(0, ...settings.nudgeOffsetsDays);
  // Only customers whose earliest unspent lot expires within the largest offset can be due.
  const rows = await loadLedgerRows(deps.sql, shop, { expiringBefore: new Date(now.getTime() + (maxOffset + 1) * DAY_MS) });
  const state = stateFromRows(rows, settings);
  const customerIds = rows.map((r) => r.customerId);
  const sentRows = await nudgeRecords(deps.sql, shop, customerIds);
  const done = new Set(sentRows.filter((r) => r.completedAt !== null).map((r) => nudgeKey(r.customerId, r.lotId, r.offsetDays)));
  // Unfinished claims (a killed run) are due again: the messenger and Flow dedupe what already went out.
  const due = dueNudges(state, now, done);
  const facts = await shopFacts(deps.sql, shop);
  const result: NudgeRunResult = { due: due.length, emailed: 0, skipped: 0, flowFired: 0, failed: 0 };
  for (const n of due) {
    try {
      await sendOne(deps, shop, n, facts, now, result);
    } catch (e) {
      result.failed++;
      console.error(`[points] ${shop}: nudge ${n.key} failed`, e);
    }
  }
  return result;
}

async function sendOne(
  deps: NudgeDeps,
  shop: string,
  n: Nudge,
  facts: Awaited<ReturnType<typeof shopFacts>>,
  now: Date,
  result: NudgeRunResult,
) {
  await claimNudge(deps.sql, {
    shop,
    customerId: n.customerId,
    lotId: n.lotId,
    offsetDays: n.offset,
    points: n.points,
    value: n.value.toFixed(2),
    expiresAt: n.expiresAt,
    at: now,
  });
  const value = n.value > 0 ? formatMoney(n.value, facts.currencyCode) : null;
  const date = formatShopDate(n.expiresAt, facts.ianaTimezone);
  const basket = await basketSuggestion(deps.sql, shop, n.customerId);
  const customer = await customerById(deps.sql, shop, n.customerId);
  const ctaUrl = deps.storefrontUrl?.(shop) ?? `https://${shop}/account`;
  const msg = nudgeMessage({ shopName: facts.name, points: n.points, value, date, basket, ctaUrl, firstName: customer?.firstName ?? null });
  const dedupeKey = `points:${n.customerId}:${n.lotId}:T-${n.offset}`;

  let emailStatus: string;
  try {
    // `content`: the messenger words it in the shop's customer locale with the merchant's blocks;
    // the English text stays as the fallback a messenger without composition sends.
    const content = {
      template: "points_nudge" as const,
      firstName: customer?.firstName ?? null,
      points: n.points,
      value: n.value > 0 ? n.value : null,
      expiresAt: n.expiresAt,
      link: ctaUrl,
    };
    const out: SendOutcome = await deps.messenger.sendEmail({
      shop,
      customerId: n.customerId,
      kind: "points_nudge",
      dedupeKey,
      content,
      ...msg,
    });
    emailStatus = out.status === "sent" ? "sent" : `skipped:${out.reason}`;
    if (out.status === "sent") result.emailed++;
    else result.skipped++;
  } catch (e) {
    emailStatus = "failed";
    console.error(`[points] ${shop}: nudge email ${dedupeKey} failed`, e);
  }
  let flowStatus: string;
  try {
    flowStatus = await deps.flow.fire({
      shop,
      handle: "points-expiring",
      dedupeKey,
      payload: {
        customer_id: n.customerId,
        points: n.points,
        points_value: n.value,
        expires_at: n.expiresAt.toISOString(),
        basket_suggestion: basket.join(", ").slice(0, 255) || undefined,
      },
    });
    if (flowStatus === "fired") result.flowFired++;
  } catch (e) {
    flowStatus = "failed";
    console.error(`[points] ${shop}: Flow trigger ${dedupeKey} failed`, e);
  }
  if (emailStatus === "failed" && flowStatus === "failed") result.failed++;
  await completeNudge(deps.sql, { shop, customerId: n.customerId, lotId: n.lotId, offsetDays: n.offset, emailStatus, flowStatus });
}
