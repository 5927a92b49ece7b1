import {
  armDiscountCode,
  armTagFor,
  describeOffer,
  measureExperiment,
  offerHasCode,
  parseExperiment,
  planExperiment,
  type ArmKey,
  type ArmOutcome,
  type Experiment,
  type ExperimentPlan,
  type ExperimentResult,
  type Offer,
} from "../domain/campaigns/experiment";
import { parseCampaignSettings, type ArmTotals, type CampaignSettings } from "../domain/campaigns";
import { DAY_MS } from "../domain/analytics/dates";
import { AppError } from "../lib/errors";
import { formText } from "../lib/form";
import { saveSettingsSection } from "../shop-settings.server";
import { purchaseTotalsInWindow } from "../sync/store/purchases";
import type { CampaignDeps } from "./deps";
import { experimentMembers, findProgram, getCampaign, saveProgramSettingsOnly, type CampaignRow } from "./store";

/*
 * Offer experiments in the campaigns feature (ADR 099): what each arm creates in Shopify, how the
 * page measures the arms, and promoting the winner into the always-on program. The statistics are
 * the domain's (app/domain/campaigns/experiment.ts).
 */

export interface ArmTarget {
  arm: ArmKey;
  /** the tag the arm's treated Standard members carry; the arm code's segment selects it */
  tag: string;
  code: string;
  offer: Offer;
}

/** The arms that need a segment and a code in Shopify (a perk arm has neither). */
export function armTargets(c: Pick<CampaignRow, "id" | "tag" | "experiment">): ArmTarget[] {
  if (!c.experiment) return [];
  return c.experiment.arms
    .filter((a) => offerHasCode(a.offer))
    .map((a) => ({ arm: a.key, tag: armTagFor(c.tag, a.key), code: armDiscountCode(c.id, a.key), offer: a.offer }));
}

/** Marks an arm's discount as ours (the campaign id in brackets, like the campaign's own title) for lookup before create. */
export function armDiscountTitle(c: Pick<CampaignRow, "id" | "name">, arm: ArmKey): string {
  return `Winback: ${c.name} – offer ${arm} [${c.id}]`;
}

/**
 * The campaign seen through one arm: its code and its offer in place of the campaign's, so the
 * campaign's discount input (terms, dates, items, combinations) applies to every arm alike and
 * only the offer differs.
 */
export function campaignForArm(c: CampaignRow, arm: ArmKey): CampaignRow {
  const a = c.experiment?.arms.find((x) => x.key === arm);
  if (!a) throw new AppError("NOT_FOUND", `Campaign ${c.id} has no offer arm ${arm}`);
  const d = c.settings.discount;
  const discount =
    a.offer.kind === "percentage" || a.offer.kind === "fixed_amount" ? { ...d, kind: a.offer.kind, value: a.offer.value } : d;
  return { ...c, discountCode: armDiscountCode(c.id, arm), settings: { ...c.settings, discount } };
}

/** What a member's touch says and which code it carries: the arm's, else the campaign's. */
export function offerForMember(
  c: CampaignRow,
  arm: ArmKey | null,
): { code: string | null; offer: Offer; subject: string | null; settings: CampaignSettings } {
  const a = arm ? c.experiment?.arms.find((x) => x.key === arm) : undefined;
  if (!a) {
    const d = c.settings.discount;
    return { code: c.discountCode, offer: { kind: d.kind, value: d.value }, subject: null, settings: c.settings };
  }
  const armed = campaignForArm(c, a.key);
  return { code: offerHasCode(a.offer) ? armed.discountCode : null, offer: a.offer, subject: a.subject, settings: armed.settings };
}

/**
 * Every offer kind launches (ADR 099): a price offer gets a basic code, free shipping a free-shipping
 * code with the same terms, a perk no code. A free-shipping code reduces no item, so it cannot be
 * limited to products: refused before anything is stored rather than emailed with terms the code ignores.
 */
export function checkLaunchableExperiment(e: Experiment, settings: Pick<CampaignSettings, "discount">): void {
  if (settings.discount.appliesTo.kind !== "products") return;
  const bad = e.arms.filter((a) => a.offer.kind === "free_shipping");
  if (bad.length) {
    throw new AppError(
      "INVALID_INPUT",
      `experiment: offer ${bad.map((a) => `${a.key} (${describeOffer(a.offer)})`).join(", ")} cannot be limited to products; make the campaign's offer apply to every item`,
    );
  }
}

/* ---- Planning (the new-campaign form) ---- */

/**
 * The plan form's offer arms: one field `experiment` holding the arms as JSON (the page builds it
 * from its arm rows). Empty or absent: no experiment. Malformed JSON or arms are INVALID_INPUT.
 */
export function experimentFromForm(form: FormData): Experiment | null {
  const raw = formText(form, "experiment")?.trim();
  if (!raw) return null;
  if (raw.length > 10_000) throw new AppError("INVALID_INPUT", "experiment: too long");
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError("INVALID_INPUT", "experiment: not valid JSON");
  }
  return parseExperiment(value);
}

export interface ArmPlanView extends ExperimentPlan {
  arms: Array<{ key: ArmKey; label: string; members: number }>;
  baselineRate: number;
}

/** Sample size and MDE per arm before launch, from the planned Standard counts and the baseline rate. */
export function planView(
  experiment: Experiment,
  standardTreated: number,
  standardHoldout: number,
  baselineRate: number,
  currency?: string,
) {
  const plan = planExperiment(
    {
      treated: standardTreated,
      holdout: standardHoldout,
      arms: experiment.arms.length,
      baselineRate: Math.min(0.9, Math.max(0.001, baselineRate)),
    },
    experiment.rateScale,
  );
  return {
    ...plan,
    baselineRate,
    arms: experiment.arms.map((a) => ({ key: a.key, label: describeOffer(a.offer, currency), members: plan.perArm })),
  } satisfies ArmPlanView;
}

/* ---- Results (the campaign page's Experiment card) ---- */

export interface ExperimentArmView {
  key: ArmKey;
  label: string;
  code: string | null;
  subject: string | null;
  offer: Offer;
}

export interface ExperimentReport {
  arms: ExperimentArmView[];
  result: ExperimentResult;
  /** can the best arm be promoted into the Standard always-on program (its offer is a percentage or an amount) */
  promotable: boolean;
}

/**
 * Every arm's members and outcome in the campaign's reactivation window, from our order copy like
 * the campaign's own measurement (measure.ts): treated arms and the Standard holdout measured the
 * same way, intention to treat. Redemptions count each arm's own code.
 */
export async function experimentReport(
  deps: Pick<CampaignDeps, "sql">,
  c: CampaignRow,
  currencyCode?: string,
): Promise<ExperimentReport | null> {
  if (!c.experiment || !c.launchSteps.members?.doneAt) return null;
  const from = c.launchAt ?? c.createdAt;
  const to = new Date(from.getTime() + c.settings.reactivationWindowDays * DAY_MS);
  const members = await experimentMembers(deps.sql, c.id);
  const empty = (): ArmTotals => ({ n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 });
  const holdout = empty();
  const outcomes: ArmOutcome[] = [];
  const add = (t: ArmTotals, revenue: number, firstAt: Date | null) => {
    t.n++;
    t.revenueSum += revenue;
    t.revenueSumSq += revenue * revenue;
    if (firstAt) t.reactivated++;
  };
  const holdoutIds = members.filter((m) => m.holdout).map((m) => m.customerId);
  for (const t of (await purchaseTotalsInWindow(deps.sql, c.shop, holdoutIds, { from, to })).values())
    add(holdout, Number(t.revenue), t.firstAt);
  for (const a of c.experiment.arms) {
    const ids = members.filter((m) => !m.holdout && m.arm === a.key).map((m) => m.customerId);
    const code = offerHasCode(a.offer) ? armDiscountCode(c.id, a.key) : null;
    const o: ArmOutcome = { key: a.key, redemptions: 0, ...empty() };
    for (const t of (await purchaseTotalsInWindow(deps.sql, c.shop, ids, { from, to, discountCode: code })).values()) {
      add(o, Number(t.revenue), t.firstAt);
      o.redemptions += t.redemptions;
    }
    outcomes.push(o);
  }
  const result = measureExperiment(c.experiment, outcomes, holdout);
  const best = result.best ? c.experiment.arms.find((a) => a.key === result.best) : undefined;
  return {
    arms: c.experiment.arms.map((a) => ({
      key: a.key,
      label: describeOffer(a.offer, currencyCode),
      code: offerHasCode(a.offer) ? armDiscountCode(c.id, a.key) : null,
      subject: a.subject,
      offer: a.offer,
    })),
    result,
    promotable: !!best && (best.offer.kind === "percentage" || best.offer.kind === "fixed_amount"),
  };
}

/* ---- Promotion into the always-on program ---- */

export interface Promotion {
  programId: string;
  arm: ArmKey;
  offer: string;
}

/**
 * "Promote to always-on program": the best arm's offer becomes the Standard program's offer. Only a
 * named winner can be promoted (a leader without a valid interval is not evidence), only a price
 * offer (the program's code is a percentage or an amount code), and only into a program whose code
 * does not exist in Shopify yet: a running program's code keeps its value in Shopify, and emails
 * announcing another offer than the code gives would break the promise (the program must be set up
 * again for a new code). The offer is also saved as the shop's campaign default.
 */
export async function promoteBestArm(
  deps: Pick<CampaignDeps, "sql" | "now">,
  shop: string,
  campaignId: string,
  arm: string,
): Promise<Promotion> {
  const c = await getCampaign(deps.sql, shop, campaignId);
  if (!c.experiment) throw new AppError("INVALID_INPUT", "This campaign has no offer experiment");
  const report = await experimentReport(deps, c);
  const best = report?.result.best ?? null;
  if (!best) throw new AppError("CONFLICT", "No winner yet: no arm's interval excludes every other arm");
  if (best !== arm) throw new AppError("CONFLICT", `Offer ${arm.slice(0, 2)} is not the winner (offer ${best} is)`);
  const a = c.experiment.arms.find((x) => x.key === best)!;
  if (a.offer.kind !== "percentage" && a.offer.kind !== "fixed_amount") {
    throw new AppError(
      "INVALID_INPUT",
      `The program's code is a percentage or amount discount; "${describeOffer(a.offer)}" cannot be its offer`,
    );
  }
  const program = await findProgram(deps.sql, shop, "Standard");
  if (!program) throw new AppError("NOT_FOUND", "Set up the Standard always-on program first (Programs page), then promote the offer");
  if (program.discountId || program.launchSteps.discount?.doneAt) {
    throw new AppError(
      "CONFLICT",
      `The program's code ${program.discountCode} already exists in Shopify with its own value; turn the program off and set it up again to change its offer`,
    );
  }
  const settings = parseCampaignSettings({
    ...program.settings,
    discount: { ...program.settings.discount, kind: a.offer.kind, value: a.offer.value },
  });
  const saved = await saveProgramSettingsOnly(deps.sql, shop, program.id, settings, deps.now());
  if (!saved) throw new AppError("NOT_FOUND", "The Standard program is gone");
  await saveSettingsSection(deps.sql, shop, "campaigns", settings);
  return { programId: program.id, arm: best, offer: describeOffer(a.offer) };
}

export { parseExperiment };
