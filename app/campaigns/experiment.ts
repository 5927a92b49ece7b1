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
import { type ArmTotals, type CampaignSettings } from "../domain/campaigns";
import { DAY_MS } from "../domain/analytics/dates";
import { AppError } from "../lib/errors";
import { formText } from "../lib/form";
import { purchaseTotalsInWindow } from "../sync/store/purchases";
import type { CampaignDeps } from "./deps";
import { ownOfferOf, priceOf } from "../domain/campaigns/offer-versions";
import { experimentMembers, type CampaignRow } from "./store";

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

/** The settings a code for `offer` is created from and the email's terms read: the campaign's terms with the offer's price. */
export function settingsForOffer(settings: CampaignSettings, offer: Offer): CampaignSettings {
  const price = priceOf(offer);
  return price ? { ...settings, discount: { ...settings.discount, ...price } } : settings;
}

/**
 * A campaign's or program's own offer: the settings' price, or a program's free-shipping or perk
 * offer promoted before its code existed (offer version 1, ADR 104), with its subject line.
 */
export function ownOffer(c: Pick<CampaignRow, "settings" | "offerVersions">): { offer: Offer; subject: string | null } {
  return ownOfferOf(c.settings.discount, c.offerVersions);
}

/** What a member's touch says and which code it carries: the arm's or the program offer version's, else the campaign's. */
export function offerForMember(
  c: CampaignRow,
  arm: ArmKey | null,
  version: number | null = null,
): { code: string | null; offer: Offer; subject: string | null; settings: CampaignSettings } {
  const a = arm ? c.experiment?.arms.find((x) => x.key === arm) : undefined;
  const v = !a && version != null && version >= 2 ? c.offerVersions.find((x) => x.n === version) : undefined;
  if (v) return { code: v.code, offer: v.offer, subject: v.subject, settings: settingsForOffer(c.settings, v.offer) };
  if (!a) {
    const own = ownOffer(c);
    return { code: offerHasCode(own.offer) ? c.discountCode : null, offer: own.offer, subject: own.subject, settings: c.settings };
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
  /** can the best arm be promoted into the Standard always-on program (any named winner, ADR 104) */
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
    promotable: !!best,
  };
}

export { parseExperiment };
