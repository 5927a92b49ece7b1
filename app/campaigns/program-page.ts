import { z } from "zod";
import type { Sql } from "../db/sql";
import { base32Of, describeDiscount, discountCodeFor, hash64, parseCampaignSettings, type CampaignSettings } from "../domain/campaigns";
import {
  describeSignal,
  newlySilent,
  parseProgramSettings,
  PROGRAM_BRANCHES,
  type ProgramBranch,
  type ProgramSettings,
} from "../domain/campaigns/program";
import type { ProgramMeasurement } from "../domain/campaigns/program-measure";
import { isoFromDay, localDay } from "../domain/analytics/dates";
import { AppError, isAppError } from "../lib/errors";
import { cleanForm, formText } from "../lib/form";
import { loadSettingsSection, shopFacts } from "../shop-settings.server";
import type { CampaignDeps } from "./deps";
import { sendHeldTouches } from "./control";
import { campaignTagFor, enqueueLaunch, retryLaunch } from "./launch";
import { measureProgramRow } from "./program-measure";
import { ownOffer } from "./experiment";
import { describeOffer, type Offer } from "../domain/campaigns/experiment";
import { currentOfferVersion } from "../domain/campaigns/offer-versions";
import { PROGRAM_DAY_QUEUE, programCandidates } from "./program-run";
import {
  engagedCustomers,
  findProgram,
  lastEnrolmentBefore,
  markProgramLaunching,
  pauseCampaignRow,
  programMemberIds,
  recentRuns,
  resumeCampaignRow,
  saveProgramRow,
  storedCampaignSettings,
  type ProgramRow,
  type ProgramRunRow,
} from "./store";

/** One program per shop and branch; its id is derived from both, so a double submit names the same row. */
export function programIdFor(shop: string, branch: ProgramBranch): string {
  return `program-${branch.toLowerCase()}-${base32Of(hash64(`program\u0000${shop}`), 10).toLowerCase()}`;
}

async function shopCampaignDefaults(sql: Sql, shop: string): Promise<CampaignSettings> {
  return loadSettingsSection(sql, shop, "campaigns", (raw) => {
    try {
      return storedCampaignSettings(raw);
    } catch {
      return parseCampaignSettings({});
    }
  });
}

export interface ProgramView {
  branch: ProgramBranch;
  id: string;
  exists: boolean;
  status: "off" | "launching" | "on" | "paused";
  pausedReason: string | null;
  launchError: string | null;
  settings: CampaignSettings;
  program: ProgramSettings;
  signal: string;
  discountCode: string;
  /** What turning the program on will do, in the merchant's words */
  confirmation: string[];
  /** Customers who would join on the next run (today's signal, today's exclusions) */
  wouldEnrolToday: number;
  enrolled: { total: number; treated: number; holdout: number };
  measurement: ProgramMeasurement | null;
  deliveries: { delivered: number; unsubscribed: number; complaints: number } | null;
  discountCostMethod: string | null;
  /** the program's own offer and the winners promoted into it (ADR 104), oldest first; the last one is what new members get */
  offers: ProgramOfferView[];
  guardrail: { status: string; reasons: unknown[]; checkedAt?: string } | null;
  runs: ProgramRunRow[];
}

export interface ProgramOfferView {
  label: string;
  code: string | null;
  subject: string | null;
  /** when new members started getting it; null: the program's own offer */
  since: string | null;
  current: boolean;
  redemptions: number | null;
}

/** The program's offers for the page: its own, then each ready promoted version (ADR 104). */
function offersOf(p: ProgramRow, byCode: Array<{ code: string; redemptions: number }> | null, currencyCode: string): ProgramOfferView[] {
  const own = ownOffer(p);
  const current = currentOfferVersion(p.offerVersions);
  const redeemed = (code: string | null) => (code ? (byCode?.find((r) => r.code === code)?.redemptions ?? null) : null);
  const ownCode = own.offer.kind === "perk" ? null : p.discountCode;
  return [
    {
      label: describeOffer(own.offer, currencyCode),
      code: ownCode,
      subject: own.subject,
      since: null,
      current: !current,
      redemptions: redeemed(ownCode),
    },
    ...p.offerVersions
      .filter((v) => v.n >= 2 && v.readyAt)
      .map((v) => ({
        label: describeOffer(v.offer, currencyCode),
        code: v.code,
        subject: v.subject,
        since: v.readyAt,
        current: v.n === current?.n,
        redemptions: redeemed(v.code),
      })),
  ];
}

function statusOf(p: ProgramRow | null): ProgramView["status"] {
  if (!p || p.status === "draft") return "off";
  if (p.status === "launching") return "launching";
  if (p.status === "active") return "on";
  return "paused";
}

/** What the confirmation says will be sent: the words come from the settings the program will use. */
export function confirmationLines(
  branch: ProgramBranch,
  s: CampaignSettings,
  p: ProgramSettings,
  currencyCode?: string,
  /** the program's own offer when a promoted winner replaced it with free shipping or a perk (ADR 104) */
  offer?: Offer,
): string[] {
  const days = (branch === "VIP" ? s.vip.touchDays : s.standard.touchDays).map((d) => `Day ${d}`).join(", ");
  const lines = [
    `Every day, ${branch} customers who newly meet the signal (${describeSignal(p.signal)}) join the program, at most ${p.maxPerDay} a day.`,
    `${Math.round(s.holdoutShare * 100)}% of them are held out at random and receive nothing, so the program's lift can be measured.`,
    `The others are tagged in Shopify and receive ${branch === "VIP" ? "personal" : "win-back"} emails on ${days} after they join (only with email consent, within the contact limits).`,
  ];
  if (branch === "VIP") lines.push("Each VIP also gets an outreach task for your concierge; VIPs get no discount code.");
  else if (offer?.kind === "perk")
    lines.push(`The emails offer ${offer.text.charAt(0).toLowerCase()}${offer.text.slice(1)}, without a code.`);
  else
    lines.push(
      `The emails offer ${offer?.kind === "free_shipping" ? "free shipping" : describeDiscount(s.discount, currencyCode)} with a code valid for ${s.discount.validityDays} days after the customer joins; the code is created in Shopify when you turn the program on.`,
    );
  lines.push(
    "A customer leaves the sequence when they order or unsubscribe, and is never enrolled twice nor while in another campaign's sequence or open holdout.",
  );
  lines.push(
    "The program pauses itself if unsubscribes or complaints pass their limits, or if it does significantly worse than the holdout.",
  );
  return lines;
}

async function viewOf(
  deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">,
  shop: string,
  branch: ProgramBranch,
  currencyCode: string,
): Promise<ProgramView> {
  const p = await findProgram(deps.sql, shop, branch);
  const settings = p?.settings ?? (await shopCampaignDefaults(deps.sql, shop));
  const program = p?.programSettings ?? parseProgramSettings({});
  const id = p?.id ?? programIdFor(shop, branch);
  const report = p && p.status !== "draft" ? await measureProgramRow(deps, p) : null;
  const m = report?.measurement ?? null;
  const now = deps.now();
  const facts = await shopFacts(deps.sql, shop);
  const today = isoFromDay(localDay(now, facts.ianaTimezone));
  const excluded = p ? await programMemberIds(deps.sql, p.id) : new Set<string>();
  for (const cid of (await engagedCustomers(deps.sql, shop, now)).keys()) excluded.add(cid);
  const would = newlySilent({
    branch,
    candidates: await programCandidates(deps.sql, shop, branch),
    settings: program,
    today: now,
    lastRunAt: p ? await lastEnrolmentBefore(deps.sql, p.id, today) : null,
    excluded,
  });
  const enrolled = m
    ? m.cohorts.reduce((a, c) => ({ total: a.total + c.enrolled, treated: a.treated + c.treated, holdout: a.holdout + c.holdout }), {
        total: 0,
        treated: 0,
        holdout: 0,
      })
    : { total: 0, treated: 0, holdout: 0 };
  return {
    branch,
    id,
    exists: !!p,
    status: statusOf(p),
    pausedReason: p?.pausedReason ?? null,
    launchError: p?.launchError ?? null,
    settings,
    program,
    signal: describeSignal(program.signal),
    discountCode: p?.discountCode ?? discountCodeFor(id),
    confirmation: confirmationLines(branch, settings, program, currencyCode, p ? ownOffer(p).offer : undefined),
    offers: p ? offersOf(p, report?.discountByOffer ?? null, currencyCode) : [],
    wouldEnrolToday: would.enrol.length,
    enrolled,
    measurement: m,
    deliveries: report?.deliveries ?? null,
    discountCostMethod: report?.discountCostMethod ?? null,
    guardrail: (p?.guardrail as ProgramView["guardrail"]) ?? null,
    runs: p ? await recentRuns(deps.sql, p.id) : [],
  };
}

export async function loadProgramsPage(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, shop: string) {
  const facts = await shopFacts(deps.sql, shop);
  const programs: ProgramView[] = [];
  for (const b of PROGRAM_BRANCHES) programs.push(await viewOf(deps, shop, b, facts.currencyCode));
  return { programs, currencyCode: facts.currencyCode, timezone: facts.ianaTimezone, now: deps.now().toISOString() };
}

const Branch = z.enum(PROGRAM_BRANCHES);

/** The settings form: the signal and its threshold, the holdout share; touch days and the offer come from the campaign settings. */
export function parseProgramForm(form: FormData): { branch: ProgramBranch; program: ProgramSettings; holdoutShare: number } {
  const num = (name: string) => {
    const v = formText(form, name)?.trim();
    return v ? Number(v) : undefined;
  };
  const branch = Branch.safeParse(formText(form, "branch"));
  if (!branch.success) throw new AppError("INVALID_INPUT", "branch must be VIP or Standard");
  const threshold = num("churnRiskThreshold");
  const program = parseProgramSettings({
    signal: {
      kind: formText(form, "signalKind") || undefined,
      lapseDays: num("lapseDays"),
      overdueMultiplier: num("overdueMultiplier"),
      churnRiskThreshold: threshold === undefined ? undefined : threshold / 100,
    },
    includeBacklog: formText(form, "includeBacklog") === "on",
    requireEmailConsent: formText(form, "requireEmailConsent") === "on",
    maxPerDay: num("maxPerDay"),
  });
  const holdout = num("holdoutPercent");
  const holdoutShare = holdout === undefined ? 0.1 : holdout / 100;
  if (!(holdoutShare >= 0.05 && holdoutShare <= 0.5))
    throw new AppError("INVALID_INPUT", "holdout must be between 5% and 50% (a program without a holdout cannot be measured)");
  return { branch: branch.data, program, holdoutShare };
}

/** Saves the settings as a draft row (or updates the program's): nothing is sent by saving. */
export async function saveProgram(
  deps: Pick<CampaignDeps, "sql" | "now">,
  shop: string,
  input: { branch: ProgramBranch; program: ProgramSettings; holdoutShare: number },
): Promise<ProgramRow> {
  const existing = await findProgram(deps.sql, shop, input.branch);
  const base = existing?.settings ?? (await shopCampaignDefaults(deps.sql, shop));
  const settings = parseCampaignSettings({ ...base, holdoutShare: input.holdoutShare });
  const id = existing?.id ?? programIdFor(shop, input.branch);
  await saveProgramRow(deps.sql, {
    id,
    shop,
    branch: input.branch,
    name: `Always-on win-back (${input.branch})`,
    settings,
    programSettings: input.program,
    tag: campaignTagFor(id),
    discountCode: discountCodeFor(id),
    now: deps.now(),
  });
  return (await findProgram(deps.sql, shop, input.branch))!;
}

/**
 * Turning on: the first time, the launch job creates the segment and the code (a program has no
 * members at launch), and today's run starts when it is done; after a pause, the program resumes and
 * runs today. Turning off pauses it: nobody joins, touches falling due are held (campaign pause rules).
 */
export async function setProgramEnabled(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  shop: string,
  branch: ProgramBranch,
  on: boolean,
): Promise<ProgramRow> {
  let p = await findProgram(deps.sql, shop, branch);
  if (!p) {
    if (!on) throw new AppError("NOT_FOUND", `No ${branch} program to turn off`);
    p = await saveProgram(deps, shop, {
      branch,
      program: parseProgramSettings({}),
      holdoutShare: Math.max(0.05, (await shopCampaignDefaults(deps.sql, shop)).holdoutShare),
    });
  }
  const now = deps.now();
  if (on) {
    if (p.status === "draft") {
      await markProgramLaunching(deps.sql, p.id, now);
      await enqueueLaunch(deps, shop, p.id);
    } else if (p.status === "paused") {
      if (await resumeCampaignRow(deps.sql, p.id)) await sendHeldTouches(deps, shop, p.id);
    } else if (p.status === "launching" && p.launchError) {
      // Turning on stopped on an error the merchant fixed (e.g. a clashing code): try again.
      await retryLaunch(deps, shop, p.id);
    } else if (p.status !== "active" && p.status !== "launching") {
      throw new AppError("CONFLICT", `The program is ${p.status}`);
    }
    // Today's run now (it waits while launching); its own key so it never merges with tomorrow's.
    await deps.queue.send(
      PROGRAM_DAY_QUEUE,
      { shop, campaignId: p.id },
      { singletonKey: `${PROGRAM_DAY_QUEUE}:${p.id}:on:${now.getTime()}` },
    );
  } else if (p.status === "active" || p.status === "launching") {
    if (!(await pauseCampaignRow(deps.sql, p.id, "Turned off by the merchant.", now)))
      throw new AppError("CONFLICT", `The program is ${p.status}; it can be turned off once it is running`);
  }
  return (await findProgram(deps.sql, shop, branch))!;
}

export type ProgramActionResult = { ok: true; intent: string; branch: ProgramBranch } | { ok: false; error: string; code: string };

export async function handleProgramAction(
  deps: Pick<CampaignDeps, "sql" | "queue" | "now">,
  shop: string,
  rawForm: FormData,
): Promise<ProgramActionResult> {
  const form = cleanForm(rawForm);
  const intent = formText(form, "intent");
  try {
    const branch = Branch.parse(formText(form, "branch"));
    if (intent === "save") {
      await saveProgram(deps, shop, parseProgramForm(form));
    } else if (intent === "on" || intent === "off") {
      await setProgramEnabled(deps, shop, branch, intent === "on");
    } else {
      throw new AppError("INVALID_INPUT", `unknown intent ${intent ?? "(none)"}`);
    }
    return { ok: true, intent: intent!, branch };
  } catch (e) {
    if (e instanceof z.ZodError) return { ok: false, error: "branch must be VIP or Standard", code: "INVALID_INPUT" };
    if (isAppError(e)) return { ok: false, error: e.message, code: e.code };
    throw e;
  }
}
