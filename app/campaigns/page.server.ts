import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Sql } from "../db/sql";
import {
  assignHoldout,
  buildPlan,
  silenceSignalOf,
  discountCodeFor,
  discountEndsAt,
  parseCampaignSettings,
  type CampaignSettings,
  type PlanRow,
} from "../domain/campaigns";
import { AppError, httpStatusFor, isAppError } from "../lib/errors";
import { stripNul } from "../lib/text";
import { cleanForm, formNumber, formText, issueMessage, type FormIssue } from "../lib/form";
import { loadSettingsSection, saveSettingsSection, shopFacts } from "../shop-settings.server";
import type { CampaignDeps } from "./deps";
import { formatEndsAt } from "./email";
import { campaignTagFor, requestLaunch, retryLaunch } from "./launch";
import { measureRow, type CampaignReport } from "./measure";
import { experimentFromForm, experimentReport, planView, type ArmPlanView, type ExperimentReport } from "./experiment";
import { promoteBestArm } from "./promote";
import type { Experiment } from "../domain/campaigns/experiment";
import {
  LAUNCH_STEPS,
  type LaunchSteps,
  countByReason,
  engagedCustomers,
  getCampaign,
  listCampaigns,
  memberCountsByCampaign,
  stepsDone,
  storedCampaignSettings,
  type CampaignRow,
  type EngagementReason,
} from "./store";
import type { StepVariantCount } from "./store/touch-batch";
import { touchVariantTotals } from "./store/totals";
import { customersByIds } from "../sync/store/customers";
import { suppressedCustomerIds } from "../messaging/store";
import { isSingleEmailAddress } from "../lib/email-address";
import { CONTROL_EXPLANATIONS, pauseCampaign, resumeCampaign, stopCampaign } from "./control";
import { enqueueMarketingReport } from "./marketing-report";
import { DAY_MS } from "../domain/analytics/dates";
import { lapsedAndReturned } from "../sync/store/purchases";
import { countWinbackTargets, winbackTargets } from "../analysis/store";
import { loadAnalysisSettings } from "../analysis/settings";
import { chooseTargets, type TargetingResult } from "./uplift";

export interface CampaignListItem {
  id: string;
  name: string;
  status: string;
  launchAt: string | null;
  members: number;
  treated: number;
  holdout: number;
  /** treated members who ordered in the window; holdout reactivations are kept apart (never added in) */
  reactivated: number;
  holdoutReactivated: number;
  discountCode: string;
  launchError: string | null;
  pausedReason: string | null;
}

export async function loadCampaignList(sql: Sql, shop: string): Promise<{ campaigns: CampaignListItem[]; targets: number }> {
  // Always-on programs have their own page (app.programs); this list is the one-off campaigns.
  const rows = (await listCampaigns(sql, shop)).filter((c) => c.kind !== "program");
  const counts = await memberCountsByCampaign(sql, shop);
  const byId = new Map(counts.map((c) => [c.campaignId, c]));
  const targets = await countWinbackTargets(sql, shop);
  return {
    targets,
    campaigns: rows.map((c) => ({
      id: c.id,
      name: c.name,
      status: c.status,
      launchAt: c.launchAt?.toISOString() ?? null,
      members: byId.get(c.id)?.members ?? 0,
      treated: byId.get(c.id)?.treated ?? 0,
      holdout: byId.get(c.id)?.holdout ?? 0,
      reactivated: byId.get(c.id)?.treatedReactivated ?? 0,
      holdoutReactivated: byId.get(c.id)?.holdoutReactivated ?? 0,
      discountCode: c.discountCode,
      launchError: c.launchError,
      pausedReason: c.pausedReason,
    })),
  };
}

/**
 * How often lapsed customers came back on their own: of the customers silent for `silentDays` at
 * T = now − window, the share who ordered within the window after T. The MDE needs it; without
 * enough history a conservative 5% is assumed and the page says so.
 */
export async function baselineReactivation(
  sql: Sql,
  shop: string,
  now: Date,
  windowDays: number,
  silentDays = 90,
): Promise<{ rate: number; assumed: boolean; basis: number }> {
  const t = new Date(now.getTime() - windowDays * DAY_MS);
  const { lapsed, returned } = await lapsedAndReturned(sql, shop, t, now, silentDays);
  const r = { n: lapsed, back: returned };
  if (r.n < 30) return { rate: 0.05, assumed: true, basis: r.n };
  return { rate: Math.min(0.95, Math.max(0.001, r.back / r.n)), assumed: false, basis: r.n };
}

export interface PlanPreview {
  rows: PlanRow[];
  settings: CampaignSettings;
  discountEndsAt: string;
  discountEndsAtLabel: string;
  treated: number;
  vipTreated: number;
  standardTreated: number;
  /** targets left out because another campaign or program holds them, per reason (ADR 077) */
  excluded: Record<EngagementReason, number>;
  /** treated customers the Day-0 email will actually reach: subscribed, one usable address, not suppressed */
  day0Emails: number;
  baseline: { rate: number; assumed: boolean; basis: number };
  currencyCode: string;
  timezone: string;
  /** whom the Standard offer goes to under the settings' targeting, and how it compares with churn risk (ADR 100) */
  targeting: Omit<TargetingResult, "chosen"> & { chosen: number };
  /** an offer experiment's arms with the sample size and MDE each gets (ADR 099); null without one */
  experiment: ArmPlanView | null;
}

/** The plan for a launch key: holdout sizes are exact, because the key becomes the campaign id. */
export async function previewPlan(
  sql: Sql,
  shop: string,
  launchKey: string,
  settings: CampaignSettings,
  now: Date,
  experiment: Experiment | null = null,
): Promise<PlanPreview> {
  const all = await winbackTargets(sql, shop);
  const engaged = await engagedCustomers(
    sql,
    shop,
    now,
    all.map((t) => t.id),
  );
  const excluded = countByReason(
    engaged,
    all.map((t) => t.id),
  );
  const available = all.filter((t) => !engaged.has(t.id));
  // The launch chooses the same way (launch.ts snapshotMembers), so the counts shown are the counts launched.
  const pick = await chooseTargets({ sql, now: () => now }, shop, available, settings);
  const targets = available.filter((t) => t.branch === "VIP" || pick.chosen.has(t.id));
  const facts = await shopFacts(sql, shop);
  const baseline = await baselineReactivation(sql, shop, now, settings.reactivationWindowDays);
  const split = (branch: "VIP" | "Standard") =>
    assignHoldout(
      launchKey.toLowerCase(),
      targets.filter((t) => t.branch === branch).map((t) => t.id),
      settings.holdoutShare,
    );
  const vip = split("VIP");
  const std = split("Standard");
  const rows = buildPlan(
    {
      VIP: { customers: vip.treated.length + vip.holdout.length, holdout: vip.holdout.length, baselineRate: baseline.rate },
      Standard: { customers: std.treated.length + std.holdout.length, holdout: std.holdout.length, baselineRate: baseline.rate },
    },
    settings,
    // The silence signal is what the shop's analysis settings make a target, not fixed text.
    {
      launchAt: now,
      currencyCode: facts.currencyCode,
      timeZone: facts.ianaTimezone,
      silenceSignal: silenceSignalOf((await loadAnalysisSettings(sql, shop)).settings, (x) => `${x.toFixed(2)} ${facts.currencyCode}`),
    },
  );
  const ends = discountEndsAt(now, settings);
  const day0Emails = await countEmailable(sql, shop, [...vip.treated, ...std.treated]);
  return {
    rows,
    settings,
    discountEndsAt: ends.toISOString(),
    discountEndsAtLabel: formatEndsAt(ends, facts.ianaTimezone),
    treated: vip.treated.length + std.treated.length,
    vipTreated: vip.treated.length,
    standardTreated: std.treated.length,
    excluded,
    day0Emails,
    baseline,
    currencyCode: facts.currencyCode,
    timezone: facts.ianaTimezone,
    targeting: { ...pick, chosen: pick.chosen.size },
    experiment: experiment ? planView(experiment, std.treated.length, std.holdout.length, baseline.rate, facts.currencyCode) : null,
  };
}

/**
 * How many of these customers an email would reach now: email marketing SUBSCRIBED in our copy of
 * Shopify's consent, exactly one address, and no suppression (the messenger's own checks, minus the
 * caps that depend on the send time).
 */
async function countEmailable(sql: Sql, shop: string, customerIds: string[]): Promise<number> {
  const customers = [...(await customersByIds(sql, shop, customerIds)).values()].filter(
    (c) => c.emailConsent === "SUBSCRIBED" && isSingleEmailAddress(c.email),
  );
  const suppressed = await suppressedCustomerIds(
    sql,
    shop,
    customers.map((c) => ({ customerId: c.id, email: c.email })),
  );
  return customers.filter((c) => !suppressed.has(c.id)).length;
}

/** Where each settings path is typed on the plan form, and the factor between the form and the stored value. */
const FORM_FIELD_OF: Record<string, { field: string; scale?: number; unit?: string }> = {
  "discount.kind": { field: "discountKind" },
  "discount.value": { field: "discountValue" },
  "discount.minimumSubtotal": { field: "minimumSubtotal" },
  "discount.validityDays": { field: "validityDays", unit: "days" },
  "discount.graceDays": { field: "graceDays", unit: "days" },
  "discount.appliesTo.products": { field: "appliesToProducts" },
  "vip.touchDays": { field: "vipTouchDays" },
  reactivationWindowDays: { field: "reactivationWindowDays", unit: "days" },
  holdoutShare: { field: "holdoutPercent", scale: 100, unit: "%" },
  "guardrails.maxUnsubscribeRate": { field: "maxUnsubscribePercent", scale: 100, unit: "%" },
  "guardrails.maxComplaintRate": { field: "maxComplaintPercent", scale: 100, unit: "%" },
  "guardrails.minDeliveries": { field: "minDeliveries" },
  frequencyCapHours: { field: "frequencyCapHours", unit: "hours" },
  "vip.conciergeName": { field: "conciergeName" },
  "vip.conciergeRole": { field: "conciergeRole" },
  "vip.perkOverride": { field: "perkOverride" },
  "vip.owner": { field: "owner" },
  // The last Standard touch must fall before the offer ends: shown on the touch days (the settings
  // page) or, on the plan form that has no touch days, on the validity.
  "standard.touchDays": { field: "standardTouchDays" },
  // The steps' no-click branches (ADR 101) travel as one JSON field built by the step checkboxes.
  "standard.ifNoClick": { field: "standardIfNoClick" },
  "standard.ifNoClick.day": { field: "standardIfNoClick" },
  "standard.ifNoClick.subject": { field: "standardIfNoClick" },
  "standard.ifNoClick.intro": { field: "standardIfNoClick" },
  "standard.ifNoClick.channel": { field: "standardIfNoClick" },
  "targeting.by": { field: "targetingBy" },
  "targeting.maxCustomers": { field: "targetMaxCustomers" },
  "targeting.maxDiscountCost": { field: "targetMaxDiscountCost" },
  "targeting.margin": { field: "marginPercent", scale: 100, unit: "%" },
};

/** "0, 3, 10" → [0, 3, 10]; undefined when the form does not carry the field; NaN entries fail the schema. */
function touchDaysField(form: FormData, name: string, errors: Record<string, string>): number[] | undefined {
  const raw = formText(form, name);
  if (raw === undefined) return undefined;
  const parts = raw.split(/[\s,;/]+/).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d{1,2}$/.test(p))) {
    errors[name] = "Days after enrolment, separated by commas (e.g. 0, 3, 10)";
    return undefined;
  }
  return parts.map(Number);
}

/** The products a code is limited to, as the form carries them (JSON from the resource picker). */
function productsField(form: FormData, errors: Record<string, string>): Array<{ id: string; title: string }> | undefined {
  const raw = formText(form, "appliesToProducts");
  if (raw === undefined) return undefined;
  if (!raw.trim()) return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v as Array<{ id: string; title: string }>;
  } catch {
    // reported below
  }
  errors.appliesToProducts = "Choose the products again";
  return undefined;
}

/** The steps' no-click branches as the form carries them (JSON from the step checkboxes, ADR 101); the schema checks each. */
function branchesField(form: FormData, errors: Record<string, string>): unknown[] | undefined {
  const raw = formText(form, "standardIfNoClick");
  if (raw === undefined) return undefined;
  if (!raw.trim()) return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  errors.standardIfNoClick = "Set the steps' no-click branches again";
  return undefined;
}

/**
 * Form fields over the shop's saved defaults; anything the form does not carry keeps its default.
 * Numbers are read as the merchant typed them (lib/number: "1,5" is 1.5, never 15); every bad
 * field is reported at once as INVALID_INPUT with `details.fields` (form field → message).
 */
export function settingsFromForm(form: FormData, base: CampaignSettings): CampaignSettings {
  const errors: Record<string, string> = {};
  const num = (name: string, opts: { integer?: boolean } = {}) => formNumber(form, name, errors, opts);
  const str = (name: string) => formText(form, name);
  const holdoutPct = num("holdoutPercent");
  const minimum = num("minimumSubtotal");
  const unsubPct = num("maxUnsubscribePercent");
  const complaintPct = num("maxComplaintPercent");
  const vipDays = touchDaysField(form, "vipTouchDays", errors);
  const standardDays = touchDaysField(form, "standardTouchDays", errors);
  const products = productsField(form, errors);
  const branches = branchesField(form, errors);
  const maxCustomers = num("targetMaxCustomers", { integer: true });
  const maxCost = num("targetMaxDiscountCost");
  const marginPct = num("marginPercent");
  const input = {
    ...base,
    discount: {
      ...base.discount,
      kind: str("discountKind") ?? base.discount.kind,
      value: num("discountValue") ?? base.discount.value,
      minimumSubtotal: form.has("minimumSubtotal")
        ? minimum === undefined || minimum === 0
          ? null
          : minimum
        : base.discount.minimumSubtotal,
      validityDays: num("validityDays", { integer: true }) ?? base.discount.validityDays,
      combinesWith: form.has("stacking")
        ? {
            orderDiscounts: str("combinesOrder") === "on",
            productDiscounts: str("combinesProduct") === "on",
            shippingDiscounts: str("combinesShipping") === "on",
          }
        : base.discount.combinesWith,
      graceDays: num("graceDays", { integer: true }) ?? base.discount.graceDays,
      appliesTo: {
        kind: str("appliesToKind") ?? base.discount.appliesTo.kind,
        products: products ?? base.discount.appliesTo.products,
      },
    },
    reactivationWindowDays: num("reactivationWindowDays", { integer: true }) ?? base.reactivationWindowDays,
    standard: {
      ...base.standard,
      touchDays: standardDays ?? base.standard.touchDays,
      ifNoClick: (branches as CampaignSettings["standard"]["ifNoClick"] | undefined) ?? base.standard.ifNoClick,
    },
    holdoutShare: holdoutPct === undefined ? base.holdoutShare : holdoutPct / 100,
    guardrails: {
      maxUnsubscribeRate: unsubPct === undefined ? base.guardrails.maxUnsubscribeRate : unsubPct / 100,
      maxComplaintRate: complaintPct === undefined ? base.guardrails.maxComplaintRate : complaintPct / 100,
      minDeliveries: num("minDeliveries", { integer: true }) ?? base.guardrails.minDeliveries,
    },
    frequencyCapHours: num("frequencyCapHours") ?? base.frequencyCapHours,
    // A blank budget field is no budget (every target, or every one worth sending by profit).
    targeting: {
      by: str("targetingBy") ?? base.targeting.by,
      maxCustomers: form.has("targetMaxCustomers") ? (maxCustomers ?? null) : base.targeting.maxCustomers,
      maxDiscountCost: form.has("targetMaxDiscountCost") ? (maxCost ?? null) : base.targeting.maxDiscountCost,
      margin: marginPct === undefined ? base.targeting.margin : marginPct / 100,
    },
    vip: {
      ...base.vip,
      conciergeName: str("conciergeName") ?? base.vip.conciergeName,
      conciergeRole: str("conciergeRole") ?? base.vip.conciergeRole,
      owner: str("owner") ?? base.vip.owner,
      perkOverride: form.has("perkOverride") ? str("perkOverride")?.trim() || null : base.vip.perkOverride,
      touchDays: vipDays ?? base.vip.touchDays,
    },
  };
  const typing = Object.entries(errors)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  try {
    const settings = parseCampaignSettings(input);
    if (!typing) return settings;
  } catch (e) {
    if (!isAppError(e, "INVALID_INPUT")) throw e;
    for (const i of (e.details as FormIssue[] | undefined) ?? []) {
      const key = i.path.filter((p) => typeof p === "string").join(".");
      const f = FORM_FIELD_OF[key];
      // A field already holding a typing error (NaN) keeps that message: it says what to fix.
      // The plan form has no touch days: a last Standard touch after the offer's end is fixed there with the validity.
      const field = f?.field === "standardTouchDays" && !form.has("standardTouchDays") ? "validityDays" : f?.field;
      if (f && field) errors[field] ??= issueMessage(i, f.scale, f.unit);
      else errors.form ??= `${key || "(root)"}: ${i.message}`;
    }
    throw new AppError("INVALID_INPUT", typing ? `campaign settings: ${typing}` : e.message, {
      details: { fields: errors, issues: e.details },
    });
  }
  throw new AppError("INVALID_INPUT", `campaign settings: ${typing}`, { details: { fields: errors } });
}

/** The per-field messages of a settingsFromForm failure (empty for any other error). */
export function formFieldErrors(e: unknown): Record<string, string> {
  if (!isAppError(e, "INVALID_INPUT")) return {};
  const d = e.details as { fields?: Record<string, string> } | undefined;
  return d && typeof d === "object" && d.fields && typeof d.fields === "object" ? d.fields : {};
}

/** A fresh launch key per page view: it becomes the campaign id, so a double click launches once. */
export async function loadPlanPage(sql: Sql, shop: string, now: Date, launchKey: string = randomUUID()) {
  const settings = await loadSettingsSection(sql, shop, "campaigns", (raw) => {
    try {
      return storedCampaignSettings(raw);
    } catch {
      // Saved defaults that no longer parse (schema moved on) must not lock the merchant out of planning.
      return parseCampaignSettings({});
    }
  });
  return {
    launchKey,
    tag: campaignTagFor(launchKey),
    discountCode: discountCodeFor(launchKey),
    preview: await previewPlan(sql, shop, launchKey, settings, now),
  };
}

export type PlanActionResult =
  | { ok: true; intent: "preview"; preview: PlanPreview }
  | { ok: true; intent: "launch"; campaignId: string }
  | { ok: false; error: string; code: string; fieldErrors?: Record<string, string> };

export async function handlePlanAction(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  shop: string,
  rawForm: FormData,
): Promise<PlanActionResult> {
  const form = cleanForm(rawForm);
  try {
    const launchKey = z.string().min(8).max(64).parse(form.get("launchKey"));
    const base = await loadSettingsSection(deps.sql, shop, "campaigns", (raw) => {
      try {
        return storedCampaignSettings(raw);
      } catch {
        return parseCampaignSettings({});
      }
    });
    const settings = settingsFromForm(form, base);
    if (form.get("intent") === "launch") {
      const experiment = experimentFromForm(form);
      const preview = await previewPlan(deps.sql, shop, launchKey, settings, deps.now(), experiment);
      if (preview.treated === 0)
        throw new AppError("INSUFFICIENT_DATA", "No customers to win back yet: the analysis has not marked any target customers.");
      const { campaignId } = await requestLaunch(deps, { shop, launchKey, name: formText(form, "name") ?? "", settings, experiment });
      return { ok: true, intent: "launch", campaignId };
    }
    return {
      ok: true,
      intent: "preview",
      preview: await previewPlan(deps.sql, shop, launchKey, settings, deps.now(), experimentFromForm(form)),
    };
  } catch (e) {
    if (isAppError(e)) {
      const fieldErrors = formFieldErrors(e);
      return Object.keys(fieldErrors).length
        ? { ok: false, error: `Check the highlighted fields: ${Object.values(fieldErrors).join("; ")}`, code: e.code, fieldErrors }
        : { ok: false, error: e.message, code: e.code };
    }
    if (e instanceof z.ZodError) return { ok: false, error: "The form is missing its launch key; reload the page.", code: "INVALID_INPUT" };
    throw e;
  }
}

export interface CampaignPageData {
  campaign: {
    id: string;
    name: string;
    status: string;
    launchAt: string | null;
    endsAt: string | null;
    discountCode: string;
    discountEndsAtLabel: string | null;
    tag: string;
    segmentId: string | null;
    discountId: string | null;
    launchError: string | null;
    launchErrorCode: string | null;
    launchErrorDetails: Array<{ field?: string[] | null; message: string }>;
    pausedReason: string | null;
    stoppedAt: string | null;
    settings: CampaignSettings;
    marketing: LaunchSteps["marketing"] | null;
  };
  /** what pause, resume and stop do, shown next to the buttons */
  controls: typeof CONTROL_EXPLANATIONS;
  progress: { done: number; total: number; steps: Array<{ step: string; label: string; done: boolean; detail: string | null }> };
  tagFailures: Array<{ customerId: string; message: string }>;
  report: CampaignReport | null;
  /** the offer experiment's arms against the holdout and each other (ADR 099); null without one */
  experiment: ExperimentReport | null;
  /** sent touches per step and variant of the steps that react to clicks (ADR 101); empty without any */
  variants: StepVariantCount[];
  currencyCode: string;
}

const STEP_LABELS: Record<(typeof LAUNCH_STEPS)[number], string> = {
  members: "Snapshot target customers and holdout",
  tags: "Tag treated customers in Shopify",
  segment: "Create the customer segment",
  discount: "Create the discount code",
  outreach: "Create VIP outreach tasks",
  touches: "Schedule emails and Flow triggers",
};

function stepDetail(c: CampaignRow, step: (typeof LAUNCH_STEPS)[number]): string | null {
  const s = c.launchSteps;
  switch (step) {
    case "members":
      if (!s.members?.doneAt) return null;
      return `${s.members.treated} treated, ${s.members.holdout} holdout${s.members.excluded ? `, ${s.members.excluded.active_sequence + s.members.excluded.open_holdout} excluded (${s.members.excluded.active_sequence} in another sequence, ${s.members.excluded.open_holdout} in an open holdout)` : ""}`;
    case "tags":
      return s.tags?.doneAt
        ? `${s.tags.tagged} tagged${s.tags.mode === "bulk" ? " (bulk operation)" : ""}`
        : s.tags?.bulkOperationId
          ? "bulk operation running…"
          : null;
    // An offer experiment has one segment and one code per offer instead of the campaign's (ADR 099).
    case "segment":
      return s.segment?.doneAt
        ? s.segment.arms
          ? `${Object.keys(s.segment.arms).length} segments, one per offer`
          : `${c.segmentId}`
        : null;
    case "discount":
      return s.discount?.doneAt
        ? s.discount.arms
          ? Object.keys(s.discount.arms)
              .map((arm) => `${c.discountCode}-${arm}`)
              .join(", ")
          : `${c.discountCode}`
        : null;
    case "outreach":
      return s.outreach?.doneAt ? `${s.outreach.tasks} tasks` : null;
    case "touches":
      return s.touches?.doneAt ? `${s.touches.scheduled} touches` : null;
  }
}

/**
 * A campaign id from a URL: the launch key, lowercased (z.string().min(8).max(64) at launch). Anything
 * else cannot name a campaign, so it is NOT_FOUND before it reaches SQL (a NUL or a 10 kB id would
 * otherwise be a 500).
 */
export function campaignIdParam(raw: string | undefined): string {
  const id = stripNul(raw ?? "");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new AppError("NOT_FOUND", "No such campaign");
  return id.toLowerCase();
}

export async function loadCampaignPage(
  deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">,
  shop: string,
  rawId: string,
): Promise<CampaignPageData> {
  const c = await getCampaign(deps.sql, shop, campaignIdParam(rawId));
  const facts = await shopFacts(deps.sql, shop);
  const details = (c.launchErrorDetails as { code?: string; details?: unknown } | null) ?? null;
  const report = c.launchSteps.members?.doneAt ? await measureRow(deps, c) : null;
  return {
    campaign: {
      id: c.id,
      name: c.name,
      status: c.status,
      launchAt: c.launchAt?.toISOString() ?? null,
      endsAt: c.endsAt?.toISOString() ?? null,
      discountCode: c.discountCode,
      discountEndsAtLabel: c.discountEndsAt ? formatEndsAt(c.discountEndsAt, facts.ianaTimezone) : null,
      tag: c.tag,
      segmentId: c.segmentId,
      discountId: c.discountId,
      launchError: c.launchError,
      launchErrorCode: details?.code ?? null,
      launchErrorDetails: Array.isArray(details?.details) ? (details!.details as Array<{ field?: string[] | null; message: string }>) : [],
      pausedReason: c.pausedReason,
      stoppedAt: c.stoppedAt?.toISOString() ?? null,
      settings: c.settings,
      /** the last report to Shopify's Marketing reports (ADR 092) */
      marketing: c.launchSteps.marketing ?? null,
    },
    controls: CONTROL_EXPLANATIONS,
    progress: {
      done: stepsDone(c.launchSteps),
      total: LAUNCH_STEPS.length,
      steps: LAUNCH_STEPS.map((s) => ({ step: s, label: STEP_LABELS[s], done: !!c.launchSteps[s]?.doneAt, detail: stepDetail(c, s) })),
    },
    tagFailures: c.launchSteps.tags?.failed ?? [],
    report,
    experiment: await experimentReport(deps, c, facts.currencyCode),
    variants: await touchVariantTotals(deps.sql, c.id),
    currencyCode: facts.currencyCode,
  };
}

/** The campaign page's buttons; `status` is the HTTP status (404 unknown or foreign campaign, 409 wrong state, 400 unknown intent). */
export async function handleCampaignAction(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now" | "client">,
  shop: string,
  rawId: string,
  form: FormData,
): Promise<{ ok: boolean; message: string; status: number }> {
  const intent = formText(form, "intent") ?? "";
  try {
    const id = campaignIdParam(rawId);
    let message: string;
    if (intent === "pause") {
      await pauseCampaign(deps, shop, id);
      message = "Campaign paused: emails that fall due are held until you resume";
    } else if (intent === "resume") {
      const { released } = await resumeCampaign(deps, shop, id);
      message = released ? `Campaign resumed: ${released} held ${released === 1 ? "email goes" : "emails go"} out now` : "Campaign resumed";
    } else if (intent === "stop") {
      const { discountEnded } = await stopCampaign(deps, shop, id);
      message = discountEnded ? "Campaign stopped; its discount code has ended" : "Campaign stopped";
    } else if (intent === "retry") {
      await retryLaunch(deps, shop, id);
      message = "Launch restarted";
    } else if (intent === "promote") {
      const p = await promoteBestArm(deps, shop, id, formText(form, "arm") ?? "");
      message =
        p.mode === "replaced"
          ? `${p.offer} is now the always-on program's offer`
          : p.already
            ? `${p.offer} is already the always-on program's offer for new members`
            : `${p.offer} is now the always-on program's offer for customers who join from now on${p.code ? ` (code ${p.code})` : ""}; customers already emailed keep their code`;
      // Not a status change of this campaign: nothing new for Shopify's Marketing reports.
      return { ok: true, message, status: 200 };
    } else throw new AppError("INVALID_INPUT", `Unknown action ${intent.slice(0, 40)}`);
    // Shopify's Marketing reports show the new status now, not at tomorrow's report (ADR 092).
    if (intent !== "retry") await enqueueMarketingReport(deps, shop, id);
    return { ok: true, message, status: 200 };
  } catch (e) {
    if (isAppError(e)) return { ok: false, message: e.message, status: httpStatusFor(e.code) };
    throw e;
  }
}

export { CONTROL_EXPLANATIONS };

/* ---- Campaign settings page (app/routes/app.settings.campaigns.tsx) ---- */

/** The shop's campaign defaults: what every new plan and program starts from. */
export async function loadCampaignSettings(sql: Sql, shop: string): Promise<CampaignSettings> {
  return loadSettingsSection(sql, shop, "campaigns", (raw) => {
    try {
      return storedCampaignSettings(raw);
    } catch {
      return parseCampaignSettings({});
    }
  });
}

export async function loadCampaignSettingsPage(sql: Sql, shop: string): Promise<{ settings: CampaignSettings; currencyCode: string }> {
  const facts = await shopFacts(sql, shop);
  return { settings: await loadCampaignSettings(sql, shop), currencyCode: facts.currencyCode };
}

/**
 * Saves the settings form over the stored defaults (fields the page does not carry keep their
 * value). Campaigns already launched keep the settings they were launched with.
 */
export async function saveCampaignSettingsForm(
  sql: Sql,
  shop: string,
  rawForm: FormData,
): Promise<{ ok: true; settings: CampaignSettings } | { ok: false; errors: Record<string, string> }> {
  const form = cleanForm(rawForm);
  try {
    const settings = settingsFromForm(form, await loadCampaignSettings(sql, shop));
    await saveSettingsSection(sql, shop, "campaigns", settings);
    return { ok: true, settings };
  } catch (e) {
    const fields = formFieldErrors(e);
    if (Object.keys(fields).length) return { ok: false, errors: fields };
    if (isAppError(e)) return { ok: false, errors: { form: e.message } };
    throw e;
  }
}
