import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProgramDay } from "../../app/campaigns/program-run";
import { handleProgramAction, loadProgramsPage, saveProgram, setProgramEnabled } from "../../app/campaigns/program-page";
import type { CampaignDeps } from "../../app/campaigns/deps";
import type { Sql } from "../../app/db/sql";
import { parseProgramSettings } from "../../app/domain/campaigns/program";
import { DAY, programHarness, seedScores, SHOP, type ProgramHarness } from "./support";

/** A Sql that fails the first statement matching `pattern` (a process dying there), then behaves. */
function crashOnce(sql: Sql, pattern: RegExp): { sql: Sql; crashed: () => boolean } {
  let crashed = false;
  const wrap = (inner: Sql): Sql =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === "query")
          return async (text: string, params?: unknown[]) => {
            if (!crashed && pattern.test(text)) {
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

describe("a program's day is idempotent", () => {
  let h: ProgramHarness;
  let programId: string;

  beforeAll(async () => {
    h = await programHarness({ customers: 300, seed: 5 });
    await seedScores(h.db.sql, h.clock.now);
    // Backlog on: the first day has plenty of customers to enrol.
    const p = await saveProgram(h.deps, SHOP, {
      branch: "Standard",
      program: parseProgramSettings({ signal: { kind: "lapse", lapseDays: 60 }, includeBacklog: true, maxPerDay: 40 }),
      holdoutShare: 0.25,
    });
    programId = p.id;
    await setProgramEnabled(h.deps, SHOP, "Standard", true);
    await h.runDue({ queues: ["campaign.launch"] });
  }, 300_000);
  afterAll(async () => h?.close());

  const members = async () =>
    (
      await h.db.sql.query<{ n: number; d: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT "customerId")::int AS d FROM "CampaignMember" WHERE "campaignId" = $1`,
        [programId],
      )
    )[0]!;

  it("a crash inside the enrolment transaction enrols nobody; the re-run enrols the day once", async () => {
    const crash = crashOnce(h.db.sql, /INSERT INTO "CampaignMember"/);
    const crashing: CampaignDeps = { ...h.deps, sql: crash.sql };
    await expect(runProgramDay(crashing, { shop: SHOP, campaignId: programId })).rejects.toThrow(/simulated crash/);
    expect(crash.crashed()).toBe(true);
    expect((await members()).n).toBe(0);
    const run = await runProgramDay(h.deps, { shop: SHOP, campaignId: programId });
    expect(run.action).toBe("ran");
    expect(run.enrolled).toBe(40);
    expect(await members()).toEqual({ n: 40, d: 40 });
  });

  it("a crash after the enrolment (tagging) resumes the follow-up without choosing again; a finished day is a no-op", async () => {
    h.clock.now = new Date(h.clock.now.getTime() + DAY);
    const crash = crashOnce(h.db.sql, /UPDATE "CampaignMember" SET "taggedAt"/);
    await expect(runProgramDay({ ...h.deps, sql: crash.sql }, { shop: SHOP, campaignId: programId })).rejects.toThrow(/simulated crash/);
    expect(await members()).toEqual({ n: 80, d: 80 });
    const untaggedBefore = (
      await h.db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout AND "taggedAt" IS NULL`,
        [programId],
      )
    )[0]!.n;
    expect(untaggedBefore).toBeGreaterThan(0);
    const again = await runProgramDay(h.deps, { shop: SHOP, campaignId: programId });
    expect(again.action).toBe("ran");
    expect(await members()).toEqual({ n: 80, d: 80 });
    const state = await h.db.sql.query<{ untagged: number; withoutTouches: number }>(
      `SELECT count(*) FILTER (WHERE "taggedAt" IS NULL)::int AS untagged,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "CampaignTouch" t WHERE t."campaignId" = m."campaignId" AND t."customerId" = m."customerId"))::int AS "withoutTouches"
       FROM "CampaignMember" m WHERE m."campaignId" = $1 AND NOT m.holdout AND m."exitedAt" IS NULL`,
      [programId],
    );
    expect(state[0]).toEqual({ untagged: 0, withoutTouches: 0 });
    // Tagged in Shopify exactly as recorded.
    const emu = h.sync.emu.shop(SHOP);
    const tag = (await h.db.sql.query<{ tag: string }>(`SELECT tag FROM "Campaign" WHERE id = $1`, [programId]))[0]!.tag;
    const tagged = (
      await h.db.sql.query<{ id: string }>(
        `SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout`,
        [programId],
      )
    ).map((r) => r.id);
    for (const id of tagged) expect(emu.data.customers.tags[emu.customerIndexFromId(`gid://shopify/Customer/${id}`)]).toContain(tag);
    const holdouts = (
      await h.db.sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = $1 AND holdout`, [
        programId,
      ])
    ).map((r) => r.id);
    expect(holdouts.length).toBeGreaterThan(0);
    for (const id of holdouts)
      expect(emu.data.customers.tags[emu.customerIndexFromId(`gid://shopify/Customer/${id}`)] ?? []).not.toContain(tag);
    // The same day again: nothing new.
    expect((await runProgramDay(h.deps, { shop: SHOP, campaignId: programId })).action).toBe("already_done");
    expect(await members()).toEqual({ n: 80, d: 80 });
  });

  it("turned off, the day enrols nobody and the page says why; turned on again, it resumes", async () => {
    const off = await handleProgramAction(h.deps, SHOP, form({ intent: "off", branch: "Standard" }));
    expect(off.ok).toBe(true);
    h.clock.now = new Date(h.clock.now.getTime() + DAY);
    expect((await runProgramDay(h.deps, { shop: SHOP, campaignId: programId })).action).toBe("not_active");
    expect((await members()).n).toBe(80);
    const page = await loadProgramsPage(h.deps, SHOP);
    const std = page.programs.find((p) => p.branch === "Standard")!;
    expect(std.status).toBe("paused");
    expect(std.pausedReason).toBe("Turned off by the merchant.");
    // A touch that fell due while the program was off was held (campaign pause rules, ADR 077)…
    const [held] = await h.db.sql.query<{ customerId: string; day: number }>(
      `UPDATE "CampaignTouch" SET state = 'held', reason = 'campaign_paused' WHERE ("campaignId", "customerId", day) IN
         (SELECT "campaignId", "customerId", day FROM "CampaignTouch" WHERE "campaignId" = $1 AND state = 'scheduled' LIMIT 1)
       RETURNING "customerId"::text AS "customerId", day`,
      [programId],
    );
    expect(held).toBeDefined();
    expect((await handleProgramAction(h.deps, SHOP, form({ intent: "on", branch: "Standard" }))).ok).toBe(true);
    // …and turning the program on again sends it, as resuming a campaign does: nothing stays held.
    const after = await h.db.sql.query<{ state: string }>(
      `SELECT state FROM "CampaignTouch" WHERE "campaignId" = $1 AND "customerId" = $2 AND day = $3`,
      [programId, held!.customerId, held!.day],
    );
    expect(after.map((r) => r.state)).toEqual(["scheduled"]);
    expect(
      (
        await h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND state = 'held'`, [
          programId,
        ])
      )[0]!.n,
    ).toBe(0);
    expect((await runProgramDay(h.deps, { shop: SHOP, campaignId: programId })).enrolled).toBe(40);
  });

  it("a breached guardrail pauses the program by itself, with the reason on the page", async () => {
    h.clock.now = new Date(h.clock.now.getTime() + DAY);
    const noisy: CampaignDeps = { ...h.deps, messageCounts: async () => ({ delivered: 1000, unsubscribed: 9, complaints: 0 }) };
    expect((await runProgramDay(noisy, { shop: SHOP, campaignId: programId })).action).toBe("ran");
    const page = await loadProgramsPage(noisy, SHOP);
    const std = page.programs.find((p) => p.branch === "Standard")!;
    expect(std.status).toBe("paused");
    expect(std.pausedReason).toBe("Paused automatically: Unsubscribe rate 0.90% is above the 0.30% limit.");
    expect(std.guardrail?.status).toBe("pause");
    const before = (await members()).n;
    h.clock.now = new Date(h.clock.now.getTime() + DAY);
    expect((await runProgramDay(h.deps, { shop: SHOP, campaignId: programId })).action).toBe("not_active");
    expect((await members()).n).toBe(before);
  });

  it("the settings form refuses what a merchant cannot mean", async () => {
    const r = await handleProgramAction(
      h.deps,
      SHOP,
      form({ intent: "save", branch: "Standard", signalKind: "churn_risk", churnRiskThreshold: "150", holdoutPercent: "20" }),
    );
    expect(r).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    const noHoldout = await handleProgramAction(
      h.deps,
      SHOP,
      form({ intent: "save", branch: "Standard", signalKind: "lapse", lapseDays: "90", holdoutPercent: "0" }),
    );
    expect(noHoldout).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect((await handleProgramAction(h.deps, SHOP, form({ intent: "save", branch: "Gold" }))).ok).toBe(false);
  });
});

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}
