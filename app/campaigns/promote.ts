import { describeOffer, offerHasCode, type ArmKey, type Offer } from "../domain/campaigns/experiment";
import { parseCampaignSettings } from "../domain/campaigns";
import { versionDiscountCode, versionTag, type OfferVersion } from "../domain/campaigns/offer-versions";
import { AppError } from "../lib/errors";
import { saveSettingsSection } from "../shop-settings.server";
import { findCodeDiscount } from "../shopify/discounts";
import type { AdminClient } from "../shopify/graphql-client";
import { requireOk } from "../shopify/response";
import { createSegment, searchSegments } from "../shopify/segments";
import type { CampaignDeps } from "./deps";
import { experimentReport, settingsForOffer } from "./experiment";
import { createOfferCode, discountInput, segmentNameFor } from "./launch";
import {
  addOfferVersion,
  findProgram,
  getCampaign,
  getProgramById,
  saveOfferVersion,
  saveProgramSettingsOnly,
  type ProgramRow,
} from "./store";

/*
 * "Promote to always-on program" (ADR 099, ADR 104): an experiment's named winner, whatever its
 * kind (percentage, amount, free shipping, perk), becomes the Standard program's offer and subject.
 *
 * - Before the program's code exists in Shopify, the program's own offer is replaced: a price goes
 *   into its settings (and the shop's campaign defaults), free shipping or a perk and the subject
 *   into offer version 1; turning the program on creates the matching code (or none for a perk).
 * - Once the code exists (the program is on, or was), nothing a customer already received changes:
 *   a new offer version gets its own tag, segment and code (a free-shipping code when the offer is
 *   free shipping, none for a perk), and members who join from then on get it. Members already
 *   emailed keep their code, offer and end date. Updating the code in place
 *   (discountCodeBasicUpdate) would change what earlier emails promised, and cannot turn a basic
 *   code into a free-shipping one anyway.
 *
 * Idempotent: the version is recorded before anything is created in Shopify, its segment is looked
 * up by query and its code by code and title before either is created, and each id is recorded as
 * soon as it exists, so a retry after a crash or a userError continues where it stopped and never
 * creates a second code. A userError (e.g. the code is taken by one of the merchant's) is thrown
 * with Shopify's message for the page to show.
 */

export interface Promotion {
  programId: string;
  arm: ArmKey;
  offer: string;
  /** "replaced": the program's own offer changed (no code yet); "added": members joining from now get offer version n */
  mode: "replaced" | "added";
  version: number;
  /** the code new members get; null for a perk */
  code: string | null;
  /** true when this winner had already been promoted (a retried or repeated click): nothing changed */
  already: boolean;
}

/** The title our version code carries in Shopify, so a lookup by code tells ours from a merchant's. */
export function versionDiscountTitle(p: Pick<ProgramRow, "id" | "name">, n: number): string {
  return `Winback: ${p.name} – offer ${n} [${p.id}]`;
}

/** The campaign page's action: the best arm of `campaignId`'s experiment into the Standard program. */
export async function promoteBestArm(
  deps: Pick<CampaignDeps, "sql" | "now" | "client">,
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
  return promoteOffer(deps, shop, { campaignId: c.id, arm: best, offer: a.offer, subject: a.subject });
}

/**
 * The promotion itself, for a winner already established (promoteBestArm checks the evidence).
 * Exported for tests and for a retry that should not re-measure.
 */
export async function promoteOffer(
  deps: Pick<CampaignDeps, "sql" | "now" | "client">,
  shop: string,
  w: { campaignId: string; arm: ArmKey; offer: Offer; subject: string | null },
): Promise<Promotion> {
  const program = await findProgram(deps.sql, shop, "Standard");
  if (!program) throw new AppError("NOT_FOUND", "Set up the Standard always-on program first (Programs page), then promote the offer");
  // A free-shipping code reduces no item, so it cannot be limited to the program's products (as for an arm, ADR 099).
  if (w.offer.kind === "free_shipping" && program.settings.discount.appliesTo.kind === "products") {
    throw new AppError(
      "INVALID_INPUT",
      "Free shipping cannot be limited to products: make the program's offer apply to every item, then promote it",
    );
  }
  const codeExists = !!(program.discountId || program.launchSteps.discount?.doneAt);
  if (!codeExists && program.status === "launching") {
    throw new AppError("CONFLICT", "The program is being turned on (its code is being created); promote the offer once it is on", {
      retryable: true,
    });
  }
  return codeExists ? addVersion(deps, shop, program, w) : replaceOwnOffer(deps, shop, program, w);
}

const sameSource = (v: OfferVersion, w: { campaignId: string; arm: ArmKey }) =>
  v.source?.campaignId === w.campaignId && v.source.arm === w.arm;

/** No code in Shopify yet: the program's own offer becomes the winner's. */
async function replaceOwnOffer(
  deps: Pick<CampaignDeps, "sql" | "now">,
  shop: string,
  program: ProgramRow,
  w: { campaignId: string; arm: ArmKey; offer: Offer; subject: string | null },
): Promise<Promotion> {
  const settings = parseCampaignSettings(settingsForOffer(program.settings, w.offer));
  const now = deps.now();
  if (!(await saveProgramSettingsOnly(deps.sql, shop, program.id, settings, now)))
    throw new AppError("NOT_FOUND", "The Standard program is gone");
  // Version 1 holds what the settings cannot: a free-shipping or perk offer, and the subject line.
  await saveOfferVersion(
    deps.sql,
    shop,
    program.id,
    {
      n: 1,
      offer: w.offer,
      subject: w.subject,
      code: offerHasCode(w.offer) ? program.discountCode : null,
      tag: program.tag,
      source: { campaignId: w.campaignId, arm: w.arm },
      segmentId: null,
      discountId: null,
      readyAt: now.toISOString(),
    },
    now,
  );
  if (w.offer.kind === "percentage" || w.offer.kind === "fixed_amount") await saveSettingsSection(deps.sql, shop, "campaigns", settings);
  return {
    programId: program.id,
    arm: w.arm,
    offer: describeOffer(w.offer),
    mode: "replaced",
    version: 1,
    code: offerHasCode(w.offer) ? program.discountCode : null,
    already: false,
  };
}

/** The program's code exists: a new version for members who join from now on (see the file comment). */
async function addVersion(
  deps: Pick<CampaignDeps, "sql" | "now" | "client">,
  shop: string,
  program: ProgramRow,
  w: { campaignId: string; arm: ArmKey; offer: Offer; subject: string | null },
): Promise<Promotion> {
  const done = (v: OfferVersion, already: boolean): Promotion => ({
    programId: program.id,
    arm: w.arm,
    offer: describeOffer(v.offer),
    mode: "added",
    version: v.n,
    code: v.code,
    already,
  });
  const versions = program.offerVersions.filter((v) => v.n >= 2);
  const newest = versions.at(-1);
  // The same winner promoted again (a double click, a retry after the answer was lost): nothing to do.
  if (newest?.readyAt && sameSource(newest, w)) return done(newest, true);
  let v = versions.find((x) => !x.readyAt);
  if (v && !sameSource(v, w)) {
    // An unfinished promotion of another winner: its code, once created, holds that winner's value.
    if (v.discountId) {
      throw new AppError(
        "CONFLICT",
        `Offer ${v.n} (${describeOffer(v.offer)}) was being promoted and its code ${v.code} exists; promote that winner again to finish first`,
      );
    }
    v = {
      ...v,
      offer: w.offer,
      subject: w.subject,
      source: { campaignId: w.campaignId, arm: w.arm },
      code: codeFor(program, v.n, w.offer),
    };
    await saveOfferVersion(deps.sql, shop, program.id, v, deps.now());
  }
  if (!v) {
    const n = Math.max(1, ...program.offerVersions.map((x) => x.n)) + 1;
    v = {
      n,
      offer: w.offer,
      subject: w.subject,
      code: codeFor(program, n, w.offer),
      tag: versionTag(program.tag, n),
      source: { campaignId: w.campaignId, arm: w.arm },
      segmentId: null,
      discountId: null,
      readyAt: null,
    };
    // Recorded before anything exists in Shopify; a concurrent promotion that took the number first is read again.
    if (!(await addOfferVersion(deps.sql, shop, program.id, v, deps.now()))) {
      const again = await getProgramById(deps.sql, shop, program.id);
      if (!again) throw new AppError("NOT_FOUND", "The Standard program is gone");
      return addVersion(deps, shop, again, w);
    }
  }
  if (offerHasCode(v.offer)) {
    const client = await deps.client(shop);
    if (!v.segmentId) {
      v = { ...v, segmentId: await versionSegment(client, program, v) };
      await saveOfferVersion(deps.sql, shop, program.id, v, deps.now());
    }
    if (!v.discountId) {
      v = { ...v, discountId: await versionCode(client, program, v, deps.now()) };
      await saveOfferVersion(deps.sql, shop, program.id, v, deps.now());
    }
  }
  v = { ...v, readyAt: deps.now().toISOString() };
  await saveOfferVersion(deps.sql, shop, program.id, v, deps.now());
  if (v.offer.kind === "percentage" || v.offer.kind === "fixed_amount") {
    await saveSettingsSection(deps.sql, shop, "campaigns", parseCampaignSettings(settingsForOffer(program.settings, v.offer)));
  }
  return done(v, false);
}

function codeFor(program: ProgramRow, n: number, offer: Offer): string | null {
  return offerHasCode(offer) ? versionDiscountCode(program.discountCode, n) : null;
}

/** The version's segment, adopted when one already selects its tag (a retry after a lost answer), else created. */
async function versionSegment(client: AdminClient, program: ProgramRow, v: OfferVersion): Promise<string> {
  const query = `customer_tags CONTAINS '${v.tag}'`;
  const mine = (await searchSegments(client, v.tag)).find((s) => s.query.replace(/\s+/g, " ").trim() === query);
  if (mine) return mine.id;
  return requireOk(await createSegment(client, { name: `${segmentNameFor(program)} offer ${v.n}`, query }), "segmentCreate").id;
}

/**
 * The version's code: adopted when it exists with our title (the create went through, its answer
 * or our write was lost), else created with the program's terms and the version's offer, without
 * an end date (each member's offer ends validityDays after they joined, ADR 078). A code taken by
 * the merchant fails the create with Shopify's userError, which is thrown for the page.
 */
async function versionCode(client: AdminClient, program: ProgramRow, v: OfferVersion, now: Date): Promise<string> {
  const title = versionDiscountTitle(program, v.n);
  const existing = await findCodeDiscount(client, v.code!);
  if (existing && existing.title === title) return existing.id;
  const input = {
    ...discountInput(
      { ...program, discountCode: v.code!, launchAt: now, discountEndsAt: null, settings: settingsForOffer(program.settings, v.offer) },
      v.segmentId!,
    ),
    title,
  };
  return createOfferCode(client, input, v.offer);
}
