import { z } from "zod";
import { AppError } from "../../lib/errors";
import { ARM_KEYS, armDiscountCode, offerSchema, type ArmKey, type Offer } from "./experiment";

/*
 * A program's offers over time (ADR 104). A member keeps the offer they joined with: its code, its
 * subject and its end date are theirs. Promoting a winner into a program whose code already exists
 * in Shopify therefore adds a version (its own code, tag and segment) that members joining from
 * then on get, instead of changing the code earlier members were emailed.
 *
 * Version 1 is the program's own offer (its code and tag). It is stored only when a promotion
 * replaced it before its code existed (a free-shipping or perk offer, or a subject line, which the
 * campaign settings cannot hold); versions 2, 3, … are promotions into a program whose code existed.
 */

export const offerVersionSchema = z.object({
  n: z.number().int().min(1),
  offer: offerSchema,
  subject: z.string().nullable().default(null),
  /** the code members of this version redeem; null for a perk (no code) */
  code: z.string().nullable(),
  /** the tag members of this version carry; the version's segment selects it */
  tag: z.string(),
  /** where the offer won: the experiment campaign and its arm */
  source: z
    .object({ campaignId: z.string(), arm: z.enum(ARM_KEYS) })
    .nullable()
    .default(null),
  segmentId: z.string().nullable().default(null),
  discountId: z.string().nullable().default(null),
  /** set once its segment and code exist in Shopify: only then do new members join with it */
  readyAt: z.string().nullable().default(null),
});
export type OfferVersion = z.output<typeof offerVersionSchema>;

export function parseOfferVersions(raw: unknown): OfferVersion[] {
  if (raw == null) return [];
  const r = z.array(offerVersionSchema).safeParse(raw);
  if (!r.success) throw new AppError("INTERNAL", `stored offer versions: ${r.error.issues.map((i) => i.message).join("; ")}`);
  return [...r.data].sort((a, b) => a.n - b.n);
}

/** The version new members join with: the newest ready one after the program's own, else null (the program's own offer). */
export function currentOfferVersion(versions: readonly OfferVersion[]): OfferVersion | null {
  let cur: OfferVersion | null = null;
  for (const v of versions) if (v.n >= 2 && v.readyAt && (!cur || v.n > cur.n)) cur = v;
  return cur;
}

/** The program's own offer when a promotion replaced it before launch (version 1), else null. */
export function baseOfferVersion(versions: readonly OfferVersion[]): OfferVersion | null {
  return versions.find((v) => v.n === 1) ?? null;
}

/** Version n's code: the program's code with the version's number, like an arm's letter (ADR 099). */
export function versionDiscountCode(programCode: string, n: number): string {
  return n === 1 ? programCode : `${programCode}-${n}`;
}

export function versionTag(programTag: string, n: number): string {
  return n === 1 ? programTag : `${programTag}-v${n}`;
}

/** How a version's offer is priced in the settings the code is created from: a price offer's kind and value. */
export function priceOf(o: Offer): { kind: "percentage" | "fixed_amount"; value: number } | null {
  return o.kind === "percentage" || o.kind === "fixed_amount" ? { kind: o.kind, value: o.value } : null;
}

/**
 * A campaign's or program's own offer: the settings' price, or a program's free-shipping or perk
 * offer promoted before its code existed (version 1), with version 1's subject line. A price is
 * read from the settings, which the merchant may have edited since the promotion.
 */
export function ownOfferOf(
  discount: { kind: "percentage" | "fixed_amount"; value: number },
  versions: readonly OfferVersion[],
): { offer: Offer; subject: string | null } {
  const v1 = baseOfferVersion(versions);
  const offer: Offer = v1 && !priceOf(v1.offer) ? v1.offer : { kind: discount.kind, value: discount.value };
  return { offer, subject: v1?.subject ?? null };
}

/** What redeemableCodes reads of a campaign row (structural, so the domain needs no store type). */
export interface CodeHolder {
  id: string;
  discountCode: string;
  discountId: string | null;
  settings: { discount: { kind: "percentage" | "fixed_amount"; value: number } };
  experiment: { arms: ReadonlyArray<{ key: ArmKey; offer: Offer }> } | null;
  offerVersions: readonly OfferVersion[];
  launchSteps: { discount?: { arms?: Record<string, string> } };
}

/**
 * Every code a campaign's or program's treated members can redeem, with the offer it gives and the
 * key of the members who got it: an experiment's arm codes (key: the arm; the campaign itself has
 * no code), else the campaign's own code (key ""; none for a perk) and a program's promoted
 * versions' codes (key: the version number). Only codes that exist in Shopify: nobody redeems
 * another. Each member is eligible for one of them only (their tag's segment), so counting an
 * order that used any of them counts the member's own offer.
 */
export function redeemableCodes(c: CodeHolder): Array<{ key: string; code: string; offer: Offer }> {
  if (c.experiment) {
    const made = c.launchSteps.discount?.arms ?? {};
    return c.experiment.arms
      .filter((a) => a.offer.kind !== "perk" && made[a.key])
      .map((a) => ({ key: a.key, code: armDiscountCode(c.id, a.key), offer: a.offer }));
  }
  const own = ownOfferOf(c.settings.discount, c.offerVersions).offer;
  const out: Array<{ key: string; code: string; offer: Offer }> =
    c.discountId && own.kind !== "perk" ? [{ key: "", code: c.discountCode, offer: own }] : [];
  for (const v of c.offerVersions) if (v.n >= 2 && v.code && v.discountId) out.push({ key: String(v.n), code: v.code, offer: v.offer });
  return out;
}

/**
 * A campaign whose codes are not just its own price code: an experiment, a program with promoted
 * versions, or a program whose own offer became free shipping or a perk (its cost is not the
 * settings' price; a perk has no code to count).
 */
export function hasSeveralOffers(c: Pick<CodeHolder, "experiment" | "offerVersions">): boolean {
  return !!c.experiment || c.offerVersions.some((v) => v.n >= 2 || !priceOf(v.offer));
}
