import { AppError } from "../../lib/errors";
import { base32Of, defaultUnitHasher, hash64, type UnitHasher } from "./hash";

// NUL cannot occur in ids, so ("ab","c") and ("a","bc") never share a key.
const SEP = "\u0000";

/**
 * Uniform score in [0, 1) for a customer in a campaign. Keyed by campaign as well as customer so that
 * one customer is not always in the control group of every campaign.
 */
export function holdoutScore(campaignId: string, customerId: string, hasher: UnitHasher = defaultUnitHasher): number {
  return hasher(`holdout${SEP}${campaignId}${SEP}${customerId}`);
}

/**
 * Deterministic: the same customer gets the same answer on every run, so a job can be retried or a
 * report recomputed without storing assignments. The share applies inside each branch because the
 * score does not depend on the branch.
 */
export function isHoldout(campaignId: string, customerId: string, share = 0.1, hasher: UnitHasher = defaultUnitHasher): boolean {
  if (!(share >= 0 && share <= 0.5)) throw new AppError("INVALID_INPUT", `holdout share must be in [0, 0.5], got ${share}`);
  return holdoutScore(campaignId, customerId, hasher) < share;
}

export function assignHoldout(
  campaignId: string,
  customerIds: Iterable<string>,
  share = 0.1,
  hasher: UnitHasher = defaultUnitHasher,
): { treated: string[]; holdout: string[] } {
  const treated: string[] = [];
  const holdout: string[] = [];
  for (const id of customerIds) (isHoldout(campaignId, id, share, hasher) ? holdout : treated).push(id);
  return { treated, holdout };
}

/**
 * Shop-wide discount code for a campaign, e.g. COMEBACK-7K2M9Q. Derived from the campaign id so that
 * retrying the "create discount" step asks Shopify for the same code instead of minting a second one.
 */
export function discountCodeFor(campaignId: string, prefix = "COMEBACK"): string {
  if (!/^[A-Z0-9]{1,20}$/.test(prefix)) throw new AppError("INVALID_INPUT", `discount code prefix must be 1-20 of A-Z0-9, got "${prefix}"`);
  return `${prefix}-${base32Of(hash64(`discount${SEP}${campaignId}`), 6)}`;
}
