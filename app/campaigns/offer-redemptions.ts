import type { Sql } from "../db/sql";
import { DAY_MS } from "../domain/analytics/dates";
import { describeOffer, type Offer } from "../domain/campaigns/experiment";
import { hasSeveralOffers, redeemableCodes } from "../domain/campaigns/offer-versions";
import { purchaseTotalsByGroup } from "../sync/store/purchases";
import { offerMembersRelation, type CampaignRow } from "./store";

/*
 * The campaign cards' discount figures for a campaign with several codes (ADR 104): an offer
 * experiment (one code per arm, none of its own) or a program with promoted offers. Each code is
 * counted over the treated members who got it, priced from its own offer, and summed; the card
 * lists them per offer. A campaign with its one code keeps the single-code figures (measure.ts).
 */

export interface OfferRedemptionRow {
  /** the arm letter, the program offer version's number, or "" for the campaign's own offer */
  key: string;
  code: string;
  label: string;
  redemptions: number;
  /** what the redeeming orders paid (after the discount) */
  redeemedPaid: number;
  cost: number;
  method: string;
}

export interface OfferRedemptions {
  rows: OfferRedemptionRow[];
  redemptions: number;
  redeemedPaid: number;
  cost: number;
  method: string;
}

/**
 * The cost of `redemptions` of a code giving `offer`, derived from the code's terms as measure.ts'
 * discountCost derives the campaign's (a fixed amount per redemption; a percentage p on an order
 * that paid P cost P × p / (1 − p)); free shipping is not priced (our order copy has no shipping
 * price), and the method says so. Kept here rather than imported: measure.ts reads this module.
 */
export function offerCost(offer: Offer, redemptions: number, redeemedPaid: number): { cost: number; method: string } {
  const round2 = (x: number) => Math.round(x * 100) / 100;
  switch (offer.kind) {
    case "free_shipping":
      return { cost: 0, method: `${redemptions} free-shipping redemptions, not priced (the order copy has no shipping price)` };
    case "perk":
      return { cost: 0, method: "no code" };
    case "fixed_amount":
      return { cost: round2(redemptions * offer.value), method: `${redemptions} redemptions × the code's fixed ${offer.value.toFixed(2)}` };
    case "percentage": {
      const p = Math.min(offer.value, 99.99) / 100;
      return {
        cost: round2((redeemedPaid * p) / (1 - p)),
        method: `estimated from the code's ${offer.value}%: paid total × ${offer.value}% ÷ (100% − ${offer.value}%), shipping and tax included (slight overestimate)`,
      };
    }
  }
}

/** Sums per-code rows into the card's figures. */
export function sumOfferRedemptions(rows: OfferRedemptionRow[]): OfferRedemptions {
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    rows,
    redemptions: rows.reduce((s, r) => s + r.redemptions, 0),
    redeemedPaid: round2(rows.reduce((s, r) => s + r.redeemedPaid, 0)),
    cost: round2(rows.reduce((s, r) => s + r.cost, 0)),
    method: rows.map((r) => `${r.code}: ${r.method}`).join("; "),
  };
}

/**
 * A one-off campaign's redemptions per code in its reactivation window (from the launch), each over
 * its own offer's treated members; null for a campaign with one code (measure.ts counts it).
 */
export async function campaignOfferRedemptions(sql: Sql, c: CampaignRow, currencyCode?: string): Promise<OfferRedemptions | null> {
  if (!hasSeveralOffers(c)) return null;
  const from = c.launchAt ?? c.createdAt;
  const to = new Date(from.getTime() + c.settings.reactivationWindowDays * DAY_MS);
  const rows: OfferRedemptionRow[] = [];
  for (const x of redeemableCodes(c)) {
    let redemptions = 0;
    let paid = 0;
    for (const g of await purchaseTotalsByGroup(sql, c.shop, offerMembersRelation(c.id, x.key), { from, to, discountCode: x.code })) {
      redemptions += g.redemptions;
      paid += Number(g.redeemedTotal);
    }
    rows.push({
      key: x.key,
      code: x.code,
      label: describeOffer(x.offer, currencyCode),
      redemptions,
      redeemedPaid: paid,
      ...offerCost(x.offer, redemptions, paid),
    });
  }
  return sumOfferRedemptions(rows);
}
