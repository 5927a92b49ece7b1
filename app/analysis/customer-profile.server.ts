import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { createFormatter, DEFAULT_LOCALE, formatContext } from "../lib/format";
import { shopFacts } from "../shop-settings.server";
import { DEFAULT_SETTINGS } from "../domain/analytics/index";
import { customerById } from "../sync/store/customers";
import { orderTimeline } from "../sync/store/purchases";
import { customerScore } from "./store";
import { latestAnalysis } from "./run-analysis";
import { customerMemberships, customerTouches } from "../campaigns/store";
import { customerVisits, messagesOfCustomer } from "../messaging/store";
import { codeOutcomesOf, wonBackMembers } from "./won-back";
import { loadLedgerRows, loadPointsSettings, redemptionsOfCustomer } from "../points/store";
import { notesOfCustomer, tasksOfCustomer } from "../outreach/store";

/**
 * One customer's profile page (issue 15, item 7): a read-only page module that composes the
 * features' exported read functions (each table is read through its owner's store). Everything is
 * formatted here, in the shop's currency and zone, so the server and the browser render the same
 * text. The customer must belong to the session's shop: an id of another shop is NOT_FOUND (404),
 * never a page that leaks whether the id exists elsewhere.
 */

export interface ProfileOrder {
  id: string;
  name: string;
  date: string;
  total: string;
  status: string;
  tone: "success" | "critical" | "info" | undefined;
  /** Qualifying orders (not test, not cancelled) feed the chart. */
  counts: boolean;
  /** Epoch ms and amount, for the small timeline chart. */
  at: number;
  amount: number;
}

export interface ProfileData {
  customerId: string;
  name: string;
  email: string | null;
  phone: string | null;
  emailConsent: string | null;
  tags: string[];
  adminUrl: string;
  summary: { orders: number; spent: string; firstOrder: string; lastOrder: string };
  orders: ProfileOrder[];
  score: null | {
    asOf: string | null;
    horizonDays: number;
    lapseClass: string;
    branch: string | null;
    vip: boolean;
    overdue: boolean;
    target: boolean;
    rfm: Array<{ label: string; value: string }>;
    churnRisk: string;
    buyChance: string;
    expectedNextOrder: string;
    predictedValue: string;
    expectedOrderValue: string;
  };
  memberships: Array<{
    campaignId: string;
    name: string;
    kind: "campaign" | "program";
    status: string;
    branch: string;
    holdout: boolean;
    window: string;
    exit: string;
    reactivated: string;
    /** Won back (treated or not): healthy, at risk of lapsing again, or lapsed again (ADR 102); null if not back. */
    health: null | { level: "healthy" | "at_risk" | "lapsed"; risk: string; windowEnds: string; source: string };
    touches: Array<{ day: number; due: string; state: string; reason: string | null }>;
  }>;
  messages: Array<{
    id: string;
    date: string;
    kind: string;
    campaign: string;
    subject: string;
    status: string;
    reason: string | null;
    /** Engagement by a person (messaging's ADR 093): machine opens are not "opened". */
    opened: boolean;
    clicked: boolean;
    /** The customer came to the storefront from it (ADR 102). */
    visited: boolean;
    /** What became of its code: Redeemed, Ignored, Open, Redeemed after another email; null without a code. */
    code: string | null;
  }>;
  /** Storefront visits (logged in, analytics allowed; ADR 102). */
  visits: { last: string; last30Days: number; fromEmails: number; total: number };
  points: null | {
    balance: string;
    nextExpiry: string;
    lots: Array<{ id: string; earned: string; expires: string; source: string; points: string; used: string }>;
    redemptions: Array<{ id: string; date: string; points: string; value: string; code: string; status: string }>;
  };
  outreach: Array<{
    taskId: string;
    campaign: string;
    status: string;
    concierge: string;
    perk: string;
    due: string;
    notes: Array<{ id: string; at: string; author: string; body: string }>;
  }>;
}

/** Shopify's admin gid tail: a numeric customer id only (anything else cannot be one of ours). */
const CUSTOMER_ID = /^\d{1,20}$/;

const label = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, " ") : s);

const CODE_LABEL = { redeemed: "Redeemed", followed: "Redeemed after another email", ignored: "Ignored", open: "Open" } as const;
const SOURCE_LABEL = {
  observed: "observed",
  shop_history: "from this shop's past returns",
  model: "from the churn model",
  none: "no estimate yet",
} as const;

export async function loadCustomerProfile(sql: Sql, shop: string, customerId: string, now: Date = new Date()): Promise<ProfileData> {
  if (!CUSTOMER_ID.test(customerId)) throw new AppError("NOT_FOUND", "No such customer in this shop.");
  const customer = await customerById(sql, shop, customerId);
  if (!customer) throw new AppError("NOT_FOUND", "No such customer in this shop.");

  const [
    facts,
    orders,
    score,
    latest,
    memberships,
    touches,
    messages,
    pointsSettings,
    ledger,
    redemptions,
    tasks,
    notes,
    visits,
    codes,
    wonBack,
  ] = await Promise.all([
    shopFacts(sql, shop),
    orderTimeline(sql, shop, customerId),
    customerScore(sql, shop, customerId),
    latestAnalysis(sql, shop),
    customerMemberships(sql, shop, customerId),
    customerTouches(sql, shop, customerId),
    messagesOfCustomer(sql, shop, customerId),
    loadPointsSettings(sql, shop),
    loadLedgerRows(sql, shop, { customerIds: [customerId] }),
    redemptionsOfCustomer(sql, shop, customerId),
    tasksOfCustomer(sql, shop, customerId),
    notesOfCustomer(sql, shop, customerId),
    customerVisits(sql, shop, customerId, now),
    codeOutcomesOf(sql, shop, now, { customerId }),
    wonBackMembers(sql, shop, now, { customerId }, { waitForHistory: false }),
  ]);
  const healthOf = new Map(wonBack.members.map((m) => [m.campaignId, m.health]));
  const f = createFormatter(formatContext(facts, DEFAULT_LOCALE));
  const date = (d: Date | string | null | undefined) => (d ? f.date(d) : "—");
  const money = (v: number | string | null | undefined, currency?: string) =>
    v === null || v === undefined ? "—" : f.money(Number(v), currency ? { currency } : {});
  const campaignName = new Map(memberships.map((m) => [m.campaignId, m.name]));
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(" ") || `Customer ${customerId}`;

  const run = latest.completed;
  const horizonDays =
    run?.model?.churn?.horizonDays ?? run?.summary?.settings.prediction.horizonDays ?? DEFAULT_SETTINGS.prediction.horizonDays;

  return {
    customerId,
    name,
    email: customer.email,
    phone: customer.phone,
    emailConsent: customer.emailConsent,
    tags: customer.tags,
    adminUrl: `shopify://admin/customers/${customerId}`,
    summary: {
      orders: customer.orderCount,
      spent: money(customer.totalSpent),
      firstOrder: date(customer.firstOrderAt),
      lastOrder: date(customer.lastOrderAt),
    },
    orders: orders.map((o) => {
      const status = o.test ? "Test" : o.cancelled ? "Cancelled" : o.financialStatus ? label(o.financialStatus.toLowerCase()) : "Placed";
      const tone = o.test ? "info" : o.cancelled ? "critical" : /refund/i.test(o.financialStatus ?? "") ? undefined : "success";
      return {
        id: o.id,
        name: o.name ?? `#${o.id}`,
        date: f.date(o.processedAt),
        total: money(o.currentTotal, o.currency),
        status,
        tone,
        counts: !o.test && !o.cancelled,
        at: o.processedAt.getTime(),
        amount: Number(o.currentTotal),
      };
    }),
    score: score
      ? {
          asOf: run?.asOf ? f.date(run.asOf) : null,
          horizonDays,
          lapseClass: score.lapseClass,
          branch: score.branch,
          vip: score.vip,
          overdue: score.overdue,
          target: score.target,
          rfm: [
            { label: "Recency", value: `${f.number(score.daysSinceLast)} days since last order (${f.calendarDay(score.lastOrderDate)})` },
            {
              label: "Frequency",
              value: `${f.number(score.orders)} orders on ${f.number(score.purchaseDays)} days${score.medianGapDays != null ? `, every ${f.number(Math.round(score.medianGapDays))} days (median)` : ""}`,
            },
            { label: "Monetary", value: `${money(score.totalSpent)} in total, ${money(score.aov)} per order` },
          ],
          churnRisk: f.percent(Number(score.churnRisk)),
          buyChance: score.pBuy == null ? "—" : f.percent(Number(score.pBuy)),
          expectedNextOrder: score.expectedNextOrderDate ? f.date(`${score.expectedNextOrderDate}T12:00:00Z`) : "—",
          predictedValue: score.predictedValue12m == null ? "—" : money(score.predictedValue12m),
          expectedOrderValue: score.expectedOrderValue == null ? "—" : money(score.expectedOrderValue),
        }
      : null,
    memberships: memberships.map((m) => ({
      campaignId: m.campaignId,
      name: m.name,
      kind: m.kind,
      status: label(m.status),
      branch: m.branch,
      holdout: m.holdout,
      window: m.holdoutUntil ? `${date(m.assignedAt)} – ${date(m.holdoutUntil)}` : `from ${date(m.assignedAt)}`,
      exit: m.exitedAt ? `${label(m.exitReason ?? "exited")} on ${date(m.exitedAt)}` : "—",
      reactivated: m.reactivatedAt ? `${date(m.reactivatedAt)}${m.reactivationOrderId ? ` (order ${m.reactivationOrderId})` : ""}` : "—",
      health: (() => {
        const h = healthOf.get(m.campaignId);
        return h
          ? {
              level: h.level,
              risk: h.risk == null ? "—" : f.percent(h.risk),
              windowEnds: date(h.windowEndsAt),
              source: SOURCE_LABEL[h.source],
            }
          : null;
      })(),
      touches: touches
        .filter((t) => t.campaignId === m.campaignId)
        .map((t) => ({ day: t.day, due: date(t.dueAt), state: label(t.state), reason: t.reason ? label(t.reason) : null })),
    })),
    messages: messages.map((m) => ({
      id: m.id,
      date: f.dateTime(m.sentAt ?? m.createdAt),
      kind: label(m.kind),
      campaign: m.campaignId ? (campaignName.get(m.campaignId) ?? "—") : "—",
      subject: m.subject ?? "—",
      status: label(m.status),
      reason: m.reason ? label(m.reason) : null,
      opened: m.opened,
      clicked: m.clicked,
      visited: m.visited,
      code: (() => {
        const o = codes.byMessage.get(m.id);
        return o && o !== "no_code" ? CODE_LABEL[o] : null;
      })(),
    })),
    visits: {
      last: visits.lastVisitAt ? f.dateTime(visits.lastVisitAt) : "—",
      last30Days: visits.visits30d,
      fromEmails: visits.fromMessages,
      total: visits.total,
    },
    // Points are off until the merchant turns them on (ADR 079): then there is nothing to show.
    points:
      pointsSettings.program.enabled || ledger.length || redemptions.length
        ? {
            balance: f.number(ledger[0]?.balance ?? 0),
            nextExpiry: ledger[0]?.nextExpiryAt ? `${f.number(ledger[0].nextExpiryPoints)} points on ${date(ledger[0].nextExpiryAt)}` : "—",
            lots: (ledger[0]?.lots ?? [])
              .slice()
              .sort((a, b) => b.earnedAt.getTime() - a.earnedAt.getTime())
              .map((l) => ({
                id: l.lotId,
                earned: date(l.earnedAt),
                expires: date(l.expiresAt),
                source: l.source === "order" ? `Order ${l.sourceId}` : "Adjustment",
                points: f.number(l.points),
                used: f.number(l.burned),
              })),
            redemptions: redemptions.map((r) => ({
              id: r.id,
              date: date(r.createdAt),
              points: f.number(r.points),
              value: money(r.value, r.currency),
              code: r.code,
              status: label(r.status),
            })),
          }
        : null,
    outreach: tasks.map((t) => ({
      taskId: t.id,
      campaign: campaignName.get(t.campaignId) ?? "—",
      status: label(t.status),
      concierge: [t.conciergeName, t.conciergeRole].filter(Boolean).join(", ") || "—",
      perk: t.perkText,
      // The due instant is an exclusive end (the shop's midnight): show the day it closes.
      due: date(new Date(new Date(t.dueAt).getTime() - 1)),
      notes: notes.filter((n) => n.taskId === t.id).map((n) => ({ id: n.id, at: f.dateTime(n.createdAt), author: n.author, body: n.body })),
    })),
  };
}
