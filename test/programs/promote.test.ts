import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignDeps } from "../../app/campaigns/deps";
import { ownOffer } from "../../app/campaigns/experiment";
import { loadProgramsPage, saveProgram, setProgramEnabled } from "../../app/campaigns/program-page";
import { measureProgramRow } from "../../app/campaigns/program-measure";
import { runProgramDay } from "../../app/campaigns/program-run";
import { promoteOffer, versionDiscountTitle } from "../../app/campaigns/promote";
import { findProgram, type ProgramRow } from "../../app/campaigns/store";
import type { Sql } from "../../app/db/sql";
import type { ArmKey, Offer } from "../../app/domain/campaigns/experiment";
import { currentOfferVersion, versionTag } from "../../app/domain/campaigns/offer-versions";
import { parseProgramSettings } from "../../app/domain/campaigns/program";
import { isAppError } from "../../app/lib/errors";
import { createBasicCodeDiscount } from "../../app/shopify/discounts";
import { saveSettingsSection } from "../../app/shop-settings.server";
import { DAY, programHarness, seedScores, SHOP, type ProgramHarness } from "./support";

/**
 * Promoting an experiment's winner into the Standard always-on program (ADR 104), against the
 * emulator (discountCodeBasicCreate and discountCodeFreeShippingCreate held to the live recordings
 * 2026-04/discounts/discount-basic-lifecycle.json and discount-free-shipping-lifecycle.json of
 * airhorns/shopify-draft-proxy, see test/shopify-emulator/conformance): every offer kind, into a
 * program whose code does not exist yet and into a running one; a userError is surfaced; a retry
 * after a crash between Shopify's create and our write adopts the code instead of creating another.
 */
describe("promoting a winner into the always-on program", () => {
  let h: ProgramHarness;
  let programId: string;
  const EXP = "exp-winners";

  beforeAll(async () => {
    h = await programHarness({ customers: 400, seed: 11 });
    await seedScores(h.db.sql, h.clock.now);
    // Emails a shop can send (a postal address), and no contact cap in the way of a daily Day-0 email.
    await saveSettingsSection(h.db.sql, SHOP, "messaging", { postalAddress: "Musterstraße 1, 10115 Berlin", contactCapPer30Days: 10 });
    const p = await saveProgram(h.deps, SHOP, {
      branch: "Standard",
      program: parseProgramSettings({ signal: { kind: "lapse", lapseDays: 60 }, includeBacklog: true, maxPerDay: 12 }),
      holdoutShare: 0.2,
    });
    programId = p.id;
  }, 300_000);
  afterAll(async () => h?.close());

  const emu = () => {
    const s = h.sync.emu.shop(SHOP);
    return {
      discounts: () => s.store("discounts", () => [] as any[]) as any[],
      mutations: (name: string) => s.mutations.filter((m: { field: string }) => m.field === name).length,
      tagsOf: (customerId: string) => s.data.customers.tags[s.customerIndexFromId(`gid://shopify/Customer/${customerId}`)] ?? [],
    };
  };
  const program = async () => (await findProgram(h.db.sql, SHOP, "Standard"))!;
  const promote = (arm: ArmKey, offer: Offer, subject: string | null = null, deps: CampaignDeps = h.deps) =>
    promoteOffer(deps, SHOP, { campaignId: EXP, arm, offer, subject });
  const nextDay = () => (h.clock.now = new Date(h.clock.now.getTime() + DAY));
  /** The day's run and its Day-0 emails; returns the members who joined and the mails sent. */
  async function day() {
    h.mails.length = 0;
    const before = h.clock.now;
    const run = await runProgramDay(h.deps, { shop: SHOP, campaignId: programId });
    expect(run.action).toBe("ran");
    await h.runDue({ queues: ["campaign.touch-batch", "campaign.touch"] });
    const joined = await h.db.sql.query<{ customerId: string; holdout: boolean; offerVersion: number | null }>(
      `SELECT "customerId"::text AS "customerId", holdout, "offerVersion" FROM "CampaignMember" WHERE "campaignId" = $1 AND "assignedAt" = $2`,
      [programId, before.toISOString()],
    );
    expect(joined.length).toBeGreaterThan(0);
    // Only the Day-0 emails of who joined today (earlier members' reminders fall due too).
    const emails = await h.db.sql.query<{ email: string }>(`SELECT email FROM "Customer" WHERE shop = $1 AND id = ANY($2::bigint[])`, [
      SHOP,
      joined.map((m) => m.customerId),
    ]);
    const to = new Set(emails.map((e) => e.email));
    return { joined, mails: h.mails.filter((m) => [...to].some((e) => m.to.includes(e))) };
  }

  it("before its code exists, each kind replaces the program's own offer; turning it on creates the matching code", async () => {
    const start = { basic: emu().mutations("discountCodeBasicCreate"), free: emu().mutations("discountCodeFreeShippingCreate") };
    const code = (await program()).discountCode;

    const pct = await promote("A", { kind: "percentage", value: 20 }, "Twenty percent for you, {first_name}");
    expect(pct).toMatchObject({ mode: "replaced", version: 1, code, offer: "20% off", already: false });
    let p = await program();
    expect(p.settings.discount).toMatchObject({ kind: "percentage", value: 20 });
    expect(ownOffer(p)).toEqual({ offer: { kind: "percentage", value: 20 }, subject: "Twenty percent for you, {first_name}" });

    await promote("B", { kind: "fixed_amount", value: 7 });
    p = await program();
    expect(p.settings.discount).toMatchObject({ kind: "fixed_amount", value: 7 });
    expect(ownOffer(p)).toEqual({ offer: { kind: "fixed_amount", value: 7 }, subject: null });

    const perk = await promote("C", { kind: "perk", text: "Early access to the winter sale" });
    expect(perk).toMatchObject({ mode: "replaced", code: null });
    p = await program();
    // The settings cannot hold a perk: they keep the last price, the program's own offer is the perk.
    expect(p.settings.discount).toMatchObject({ kind: "fixed_amount", value: 7 });
    expect(ownOffer(p).offer).toEqual({ kind: "perk", text: "Early access to the winter sale" });

    await promote("D", { kind: "free_shipping" }, "Free shipping is on us, {first_name}");
    p = await program();
    expect(ownOffer(p)).toEqual({ offer: { kind: "free_shipping" }, subject: "Free shipping is on us, {first_name}" });
    // Nothing was created in Shopify by these promotions.
    expect(emu().mutations("discountCodeBasicCreate")).toBe(start.basic);
    expect(emu().mutations("discountCodeFreeShippingCreate")).toBe(start.free);

    // The page's "Turn on" dialog says what the emails will offer.
    const before = (await loadProgramsPage(h.deps, SHOP)).programs.find((x) => x.branch === "Standard")!;
    expect(before.confirmation.join(" ")).toContain("The emails offer free shipping with a code");
    // Turning it on creates the program's code as a free-shipping code.
    await setProgramEnabled(h.deps, SHOP, "Standard", true);
    await h.runDue({ queues: ["campaign.launch"] });
    p = await program();
    expect(p.status).toBe("active");
    const mine = emu()
      .discounts()
      .filter((d) => d.code === code);
    expect(mine).toHaveLength(1);
    expect(mine[0].value).toEqual({ kind: "free_shipping" });
    expect(mine[0].id).toBe(p.discountId);
    expect(emu().mutations("discountCodeFreeShippingCreate")).toBe(start.free + 1);
    expect(emu().mutations("discountCodeBasicCreate")).toBe(start.basic);

    const { joined, mails } = await day();
    expect(joined.every((m) => m.offerVersion === null)).toBe(true);
    expect(mails.length).toBeGreaterThan(0);
    for (const m of mails) {
      expect(m.subject).toMatch(/^Free shipping is on us/);
      expect(m.text).toContain(code);
      expect(m.text).toMatch(/Free shipping on your next order until/);
    }
  }, 300_000);

  it("into the running program, each kind adds an offer for members who join from now on; members already emailed keep theirs", async () => {
    const first = await program();
    const firstMembers = await h.db.sql.query<{ customerId: string }>(
      `SELECT "customerId"::text AS "customerId" FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout`,
      [programId],
    );
    const cases: Array<{ arm: ArmKey; offer: Offer; subject: string | null; value: unknown; wording: RegExp }> = [
      {
        arm: "A",
        offer: { kind: "percentage", value: 25 },
        subject: "{offer} to come back",
        value: { kind: "percentage", percentage: 0.25 },
        wording: /25%/,
      },
      {
        arm: "B",
        offer: { kind: "fixed_amount", value: 9 },
        subject: null,
        value: { kind: "amount", amountCents: 900, appliesOnEachItem: false },
        wording: /9[.,]00/,
      },
      {
        arm: "C",
        offer: { kind: "perk", text: "A hand-written note from the founder" },
        subject: null,
        value: null,
        wording: /hand-written note/,
      },
      {
        arm: "D",
        offer: { kind: "free_shipping" },
        subject: "Shipping's on us",
        value: { kind: "free_shipping" },
        wording: /Free shipping on your next order/,
      },
    ];
    let n = 1;
    for (const k of cases) {
      n++;
      const before = {
        basic: emu().mutations("discountCodeBasicCreate"),
        free: emu().mutations("discountCodeFreeShippingCreate"),
        all: emu().discounts().length,
      };
      const r = await promote(k.arm, k.offer, k.subject);
      expect(r).toMatchObject({ mode: "added", version: n, already: false });
      const p = await program();
      const v = p.offerVersions.find((x) => x.n === n)!;
      expect(v.readyAt).not.toBeNull();
      expect(currentOfferVersion(p.offerVersions)?.n).toBe(n);
      expect(v.tag).toBe(versionTag(p.tag, n));
      if (k.value) {
        expect(v.code).toBe(`${p.discountCode}-${n}`);
        const made = emu()
          .discounts()
          .filter((d) => d.code === v.code);
        expect(made).toHaveLength(1);
        expect(made[0].value).toEqual(k.value);
        expect(made[0].id).toBe(v.discountId);
        expect(made[0].title).toBe(versionDiscountTitle(p, n));
        // The program's terms; no end date (each member's offer ends validityDays after they joined).
        expect(made[0].endsAt).toBeNull();
        expect(made[0].context).toEqual({ kind: "segments", ids: [v.segmentId] });
        expect(made[0].appliesOncePerCustomer).toBe(p.settings.discount.appliesOncePerCustomer);
        expect(emu().mutations("discountCodeBasicCreate") + emu().mutations("discountCodeFreeShippingCreate")).toBe(
          before.basic + before.free + 1,
        );
        expect(emu().mutations(k.offer.kind === "free_shipping" ? "discountCodeFreeShippingCreate" : "discountCodeBasicCreate")).toBe(
          (k.offer.kind === "free_shipping" ? before.free : before.basic) + 1,
        );
      } else {
        // A perk: no code and no segment.
        expect(v).toMatchObject({ code: null, segmentId: null, discountId: null });
        expect(emu().discounts()).toHaveLength(before.all);
      }
      // The program's own code is untouched: no update mutation, the same value.
      const own = emu()
        .discounts()
        .find((d) => d.code === first.discountCode);
      expect(own.value).toEqual({ kind: "free_shipping" });
      expect(emu().mutations("discountCodeBasicUpdate") + emu().mutations("discountCodeFreeShippingUpdate")).toBe(0);

      // The same winner again (a double click): nothing new.
      const again = await promote(k.arm, k.offer, k.subject);
      expect(again).toMatchObject({ version: n, already: true });
      expect(emu().discounts().length).toBe(before.all + (k.value ? 1 : 0));

      nextDay();
      const { joined, mails } = await day();
      for (const m of joined) expect(m.offerVersion).toBe(n);
      const treated = joined.filter((m) => !m.holdout);
      for (const m of treated) expect(emu().tagsOf(m.customerId)).toContain(v.tag);
      expect(mails.length).toBeGreaterThan(0);
      for (const m of mails) {
        expect(m.text).toMatch(k.wording);
        if (v.code) expect(m.text).toContain(v.code);
        else expect(m.text).not.toContain(first.discountCode);
        if (k.subject === "Shipping's on us") expect(m.subject).toBe("Shipping's on us");
      }
    }
    // The programs page lists the program's own offer and each promoted one; the last is current.
    const view = (await loadProgramsPage(h.deps, SHOP)).programs.find((x) => x.branch === "Standard")!;
    expect(view.offers.map((o) => [o.label, o.current])).toEqual([
      ["Free shipping", false],
      ["25% off", false],
      ["9.00 EUR off", false],
      ["A hand-written note from the founder", false],
      ["Free shipping", true],
    ]);
    expect(view.offers[1]!.code).toBe(`${first.discountCode}-2`);
    // Members who joined before keep the program's own offer: their rows are untouched.
    const kept = await h.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND "customerId" = ANY($2::bigint[]) AND "offerVersion" IS NULL`,
      [programId, firstMembers.map((m) => m.customerId)],
    );
    expect(kept[0]!.n).toBe(firstMembers.length);
  }, 600_000);

  it("a userError is surfaced, new members keep the current offer meanwhile, and the retry finishes with one code", async () => {
    const p0 = await program();
    const n = Math.max(...p0.offerVersions.map((v) => v.n)) + 1;
    const taken = `${p0.discountCode}-${n}`;
    // The merchant already has a code with the next version's name: Shopify answers "Code must be unique".
    const client = await h.deps.client(SHOP);
    const mine = await createBasicCodeDiscount(client, {
      title: "The merchant's own code",
      code: taken,
      startsAt: h.clock.now.toISOString(),
      context: { all: "ALL" },
      customerGets: { value: { percentage: 0.05 }, items: { all: true } },
      appliesOncePerCustomer: false,
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: false },
    });
    expect(mine.ok).toBe(true);
    const err = await promote("B", { kind: "percentage", value: 30 }).catch((e) => e);
    expect(isAppError(err, "SHOPIFY_USER_ERRORS")).toBe(true);
    expect(err.message).toMatch(/discountCodeBasicCreate/);
    expect(err.message).toMatch(/Code must be unique/);
    let p = await program();
    const pending = p.offerVersions.find((v) => v.n === n)!;
    expect(pending).toMatchObject({ readyAt: null, discountId: null });
    expect(currentOfferVersion(p.offerVersions)?.n).toBe(n - 1);
    nextDay();
    const { joined } = await day();
    for (const m of joined) expect(m.offerVersion).toBe(n - 1);

    // Asked again unchanged, Shopify refuses again and says so; nothing is duplicated.
    const again = await promote("B", { kind: "percentage", value: 30 }).catch((e) => e);
    expect(again.message).toMatch(/Code must be unique/);
    expect((await program()).offerVersions.filter((v) => v.n === n)).toHaveLength(1);

    // The merchant removes their code; the retry continues the same version.
    const list = emu().discounts();
    list.splice(
      list.findIndex((d) => d.code === taken),
      1,
    );
    const done = await promote("B", { kind: "percentage", value: 30 });
    expect(done).toMatchObject({ mode: "added", version: n, code: taken });
    p = await program();
    expect(
      emu()
        .discounts()
        .filter((d) => d.code === taken),
    ).toHaveLength(1);
    expect(currentOfferVersion(p.offerVersions)?.n).toBe(n);
  }, 300_000);

  it("a crash between Shopify's create and our write: the retry adopts the code instead of creating a second", async () => {
    const p0 = await program();
    const n = Math.max(...p0.offerVersions.map((v) => v.n)) + 1;
    const creates = emu().mutations("discountCodeBasicCreate");
    const crash = crashOnce(
      h.db.sql,
      (text, params) => /"offerVersions"/.test(text) && JSON.stringify(params ?? []).includes('\\"discountId\\":\\"gid'),
    );
    await expect(promote("C", { kind: "percentage", value: 12 }, null, { ...h.deps, sql: crash.sql })).rejects.toThrow(/simulated crash/);
    expect(crash.crashed()).toBe(true);
    // The code exists in Shopify; we never recorded it.
    const code = `${p0.discountCode}-${n}`;
    expect(
      emu()
        .discounts()
        .filter((d) => d.code === code),
    ).toHaveLength(1);
    expect((await program()).offerVersions.find((v) => v.n === n)?.discountId).toBeNull();
    const r = await promote("C", { kind: "percentage", value: 12 });
    expect(r).toMatchObject({ version: n, code });
    expect(emu().mutations("discountCodeBasicCreate")).toBe(creates + 1);
    expect(
      emu()
        .discounts()
        .filter((d) => d.code === code),
    ).toHaveLength(1);
    expect((await program()).offerVersions.find((v) => v.n === n)?.discountId).toBe(
      emu()
        .discounts()
        .find((d) => d.code === code).id,
    );
  }, 300_000);

  it("refuses free shipping into a program whose offer is limited to products, before anything is stored", async () => {
    const p0 = await program();
    await h.db.sql.query(`UPDATE "Campaign" SET settings = jsonb_set(settings, '{discount,appliesTo}', $2::jsonb) WHERE id = $1`, [
      programId,
      JSON.stringify({ kind: "products", products: [{ id: "gid://shopify/Product/1", title: "Mug" }] }),
    ]);
    const err = await promote("A", { kind: "free_shipping" }, "x").catch((e) => e);
    expect(isAppError(err, "INVALID_INPUT")).toBe(true);
    expect((await program()).offerVersions).toEqual(p0.offerVersions);
    await h.db.sql.query(`UPDATE "Campaign" SET settings = $2::jsonb WHERE id = $1`, [programId, JSON.stringify(p0.settings)]);
  });

  it("the program's discount card counts every offer's code, each over its own members, priced from its own offer", async () => {
    const p: ProgramRow = await program();
    // Orders in our copy: one redemption per code by a member who joined with it, and one of another version's code by nobody eligible.
    const members = await h.db.sql.query<{ customerId: string; offerVersion: number | null; assignedAt: Date }>(
      `SELECT DISTINCT ON (coalesce("offerVersion", 0)) "customerId"::text AS "customerId", "offerVersion", "assignedAt"
         FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout ORDER BY coalesce("offerVersion", 0), "customerId"`,
      [programId],
    );
    const codeOf = (v: number | null) => (v == null ? p.discountCode : p.offerVersions.find((x) => x.n === v)?.code);
    let id = 9_000_000_000;
    const orders: Array<{ code: string; total: number }> = [];
    for (const m of members) {
      const code = codeOf(m.offerVersion);
      if (!code) continue;
      const total = 40;
      await h.db.sql.query(
        `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency, "discountCodes", "financialStatus")
         VALUES ($1, $2, $3, '#T', $4, $4, $4, $5, $5, 'EUR', $6, 'PAID')`,
        [
          SHOP,
          String(id++),
          m.customerId,
          new Date(new Date(m.assignedAt).getTime() + 3_600_000).toISOString(),
          total,
          [code.toLowerCase()],
        ],
      );
      orders.push({ code, total });
    }
    const report = await measureProgramRow(h.deps, p);
    const rows = report.discountByOffer!;
    expect(rows).not.toBeNull();
    const codes = [p.discountCode, ...p.offerVersions.filter((v) => v.n >= 2 && v.discountId).map((v) => v.code!)];
    expect(rows.map((r) => r.code).sort()).toEqual(codes.sort());
    for (const o of orders) expect(rows.find((r) => r.code === o.code)!.redemptions).toBeGreaterThanOrEqual(1);
    expect(report.measurement.discount.redemptions).toBe(rows.reduce((s, r) => s + r.redemptions, 0));
    expect(report.measurement.discount.redemptions).toBeGreaterThanOrEqual(orders.length);
    // Priced per offer: a 25% code's redemption costs paid × 25/75, a 9.00 code 9.00, free shipping is not priced.
    const v25 = p.offerVersions.find((v) => v.offer.kind === "percentage" && v.offer.value === 25)!;
    const r25 = rows.find((r) => r.code === v25.code)!;
    expect(r25.cost).toBeCloseTo((r25.redeemedPaid * 0.25) / 0.75, 2);
    const v9 = p.offerVersions.find((v) => v.offer.kind === "fixed_amount")!;
    expect(rows.find((r) => r.code === v9.code)!.cost).toBeCloseTo(9 * rows.find((r) => r.code === v9.code)!.redemptions, 2);
    expect(rows.find((r) => r.code === p.discountCode)!.cost).toBe(0);
    expect(report.measurement.discount.cost).toBeCloseTo(
      rows.reduce((s, r) => s + r.cost, 0),
      2,
    );
  });

  it("a perk promoted before the program is turned on: no code is created, the emails state the perk", async () => {
    // A fresh Standard program (the shop's previous one and its members removed).
    // (its emails too: the new program has the same id, and a touch's dedupe key would match the old one's)
    for (const table of ["CampaignTouch", "CampaignMember", "ProgramRun", "MessageLog"])
      await h.db.sql.query(`DELETE FROM "${table}" WHERE "campaignId" = $1`, [programId]);
    await h.db.sql.query(`DELETE FROM "Campaign" WHERE id = $1`, [programId]);
    const fresh = await saveProgram(h.deps, SHOP, {
      branch: "Standard",
      program: parseProgramSettings({ signal: { kind: "lapse", lapseDays: 60 }, includeBacklog: true, maxPerDay: 12 }),
      holdoutShare: 0.2,
    });
    programId = fresh.id;
    const creates = emu().mutations("discountCodeBasicCreate") + emu().mutations("discountCodeFreeShippingCreate");
    const PERK = "Early access to the winter sale";
    expect(await promote("C", { kind: "perk", text: PERK })).toMatchObject({ mode: "replaced", code: null });
    const dialog = (await loadProgramsPage(h.deps, SHOP)).programs.find((x) => x.branch === "Standard")!;
    expect(dialog.confirmation.join(" ")).toContain("The emails offer early access to the winter sale, without a code.");
    await setProgramEnabled(h.deps, SHOP, "Standard", true);
    await h.runDue({ queues: ["campaign.launch"] });
    const p = await program();
    expect(p.status).toBe("active");
    expect(p.discountId).toBeNull();
    expect(p.launchSteps.discount).toMatchObject({ noCode: true });
    expect(emu().mutations("discountCodeBasicCreate") + emu().mutations("discountCodeFreeShippingCreate")).toBe(creates);
    nextDay();
    const { mails } = await day();
    expect(mails.length).toBeGreaterThan(0);
    for (const m of mails) {
      expect(m.text).toContain("early access to the winter sale");
      expect(m.text).not.toContain(p.discountCode);
      expect(m.text).not.toMatch(/\/discount\//);
    }
    // Nothing to redeem: the card counts no code.
    const report = await measureProgramRow(h.deps, p);
    expect(report.discountByOffer).toEqual([]);
    expect(report.measurement.discount).toMatchObject({ redemptions: 0, cost: 0 });
  }, 300_000);
});

/** A Sql that fails the first statement `match` accepts (a process dying there), then behaves. */
function crashOnce(sql: Sql, match: (text: string, params?: unknown[]) => boolean): { sql: Sql; crashed: () => boolean } {
  let crashed = false;
  const wrap = (inner: Sql): Sql =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === "query")
          return async (text: string, params?: unknown[]) => {
            if (!crashed && match(text, params)) {
              crashed = true;
              throw new Error("simulated crash");
            }
            return target.query(text, params as never);
          };
        if (prop === "transaction") return (fn: (tx: Sql) => Promise<unknown>) => target.transaction((tx) => fn(wrap(tx)));
        return Reflect.get(target, prop, receiver);
      },
    });
  return { sql: wrap(sql), crashed: () => crashed };
}
