import type { Transporter } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignDeps } from "../../app/campaigns/deps";
import { exitMember, requestLaunch, TOUCH_BATCH_QUEUE } from "../../app/campaigns/launch";
import { runTouchBatch, TOUCH_SEND_CHUNK, TOUCH_SEND_CHUNKS_IN_FLIGHT } from "../../app/campaigns/touch";
import { createMessenger } from "../../app/messaging/messenger";
import { insertSuppression } from "../../app/messaging/store";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, inspector, SHOP, type CampaignHarness } from "../campaigns/support";

/*
 * Batched sends (docs/decisions/095-batched-sends.md): a touch batch's Standard emails are decided,
 * claimed and recorded per chunk (messenger.sendEmails). A process that dies in the middle of a
 * batch and the queue's retry send nobody twice; unsubscribes, exits and the frequency cap are
 * observed at send time as on the per-touch path.
 */
describe.each(databaseKinds)("batched sends (%s)", (kind) => {
  let h: CampaignHarness;
  let campaignId: string;
  const batchesOf = (day: number) =>
    h.jobs
      .filter((j) => j.queue === TOUCH_BATCH_QUEUE && j.payload.campaignId === campaignId && j.payload.day === day)
      .map((j) => j.payload);
  const touchesOf = (day: number, batch: number) =>
    h.db.sql.query<{ customerId: string; state: string; reason: string | null; notBefore: Date | null }>(
      `SELECT "customerId"::text AS "customerId", state, reason, "notBefore" FROM "CampaignTouch"
       WHERE "campaignId" = $1 AND day = $2 AND batch = $3 ORDER BY "customerId"`,
      [campaignId, day, batch],
    );
  /** The batched path only: a per-email call fails the test. */
  const batchedOnly = (sendEmails: NonNullable<CampaignDeps["messenger"]["sendEmails"]>): CampaignDeps => ({
    ...h.deps,
    messenger: {
      sendEmail: () => Promise.reject(new Error("the per-email path was used")),
      sendEmails,
    },
  });

  beforeAll(async () => {
    h = await campaignHarness(kind, { vip: 2, standard: 30 });
    await h.db.sql.query(
      `UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED', email = coalesce(email, 'c' || id || '@example.com') WHERE shop = $1`,
      [SHOP],
    );
    ({ campaignId } = await requestLaunch(h.deps, { shop: SHOP, launchKey: "batched-sends-01", name: "Batched", settings: {} }));
    await h.runDue({ queues: ["campaign.launch"] });
    expect((await campaignRow(h.db, campaignId)).status).toBe("active");
  }, 120_000);
  afterAll(async () => h?.close());

  it("a process that dies after the 5th email of a batch, then the retry: nobody gets the email twice", async () => {
    const std = batchesOf(0).find((b) => b.batch === 1)!; // Standard's day-0 batch (VIP's is batch 0)
    const touches = await touchesOf(0, std.batch);
    expect(touches.length).toBeGreaterThan(20);

    // The dying process: SMTP accepts five emails, then nothing more ever happens (no answer, no write).
    const dead: string[] = [];
    const dying = createMessenger({
      sql: h.db.sql,
      transport: {
        sendMail: async (m: { to: unknown }) => {
          if (dead.length >= 5) return new Promise<never>(() => {});
          dead.push(String(m.to));
          return { messageId: `<dead${dead.length}@test>` };
        },
      } as unknown as Pick<Transporter, "sendMail">,
      appUrl: "https://winback.test",
      secret: "s3cret",
      from: "Winback <winback@shop.test>",
      now: () => h.clock.now,
    });
    void runTouchBatch(
      batchedOnly((m) => dying.sendEmails(m)),
      std,
    ).catch(() => {});
    const claims = () =>
      h.db.sql
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM "MessageLog" WHERE "campaignId" = $1 AND status = 'sending'`, [campaignId])
        .then((r) => r[0]!.n);
    // Dead once five went out and the claims stopped changing.
    let claimed = -1;
    for (let i = 0, stable = 0; i < 200 && stable < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const n = await claims();
      stable = dead.length === 5 && n === claimed ? stable + 1 : 0;
      claimed = n;
    }
    expect(dead).toHaveLength(5);
    // What a crash can leave claimed but unsent is bounded by the chunks in flight, not the batch.
    expect(claimed).toBeLessThanOrEqual(TOUCH_SEND_CHUNK * TOUCH_SEND_CHUNKS_IN_FLIGHT);
    // A chunk that finished before the crash recorded its touches; the others are still scheduled.
    const mid = await touchesOf(0, std.batch);
    expect(mid.every((t) => t.state === "scheduled" || t.state === "sent")).toBe(true);
    const waiting = mid.filter((t) => t.state === "scheduled").length;
    expect(waiting).toBeGreaterThanOrEqual(claimed);

    // The queue retries the job in another process: claimed keys are duplicates (at-most-once), the rest go out.
    const mailsBefore = h.mails.length;
    const retry = await runTouchBatch(
      batchedOnly((m) => h.deps.messenger.sendEmails!(m)),
      std,
    );
    expect(retry).toMatchObject({ ran: waiting, actions: { sent: waiting } });
    const retried = h.mails.slice(mailsBefore).map((m) => m.to);
    expect(retried).toHaveLength(waiting - claimed);
    const all = [...dead, ...retried];
    expect(new Set(all).size).toBe(all.length);
    const after = await touchesOf(0, std.batch);
    expect(after.every((t) => t.state === "sent")).toBe(true);
    expect(after.filter((t) => t.reason === "duplicate")).toHaveLength(claimed);

    // Flow triggers (fireMany): one per touch, fired once at Shopify although the batch ran twice.
    const flows = await h.db.sql.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM "FlowTriggerLog" WHERE shop = $1 AND "dedupeKey" LIKE $2 GROUP BY status`,
      [SHOP, `campaign:${campaignId}:%:day0`],
    );
    expect(flows).toEqual([{ status: "fired", n: touches.length }]);
    expect(inspector(h).mutations("flowTriggerReceive")).toHaveLength(touches.length);

    // A duplicated job finds nothing due.
    expect(await runTouchBatch(h.deps, std)).toMatchObject({ ran: 0, nextRunAt: null });
    expect(h.mails.length).toBe(mailsBefore + waiting - claimed);
  }, 60_000);

  it("an unsubscribe, an exit and another campaign's recent email are observed at send time", async () => {
    h.advanceDays(3);
    // Day 3 has Standard touches only (VIP days are 0 and 7): their batch.
    const [{ batch }] = await h.db.sql.query<{ batch: number }>(
      `SELECT DISTINCT batch FROM "CampaignTouch" WHERE "campaignId" = $1 AND day = 3 AND branch = 'Standard'`,
      [campaignId],
    );
    const std = { shop: SHOP, campaignId, day: 3, batch: batch! };
    const touches = await touchesOf(3, std.batch);
    expect(touches.length).toBeGreaterThan(20);
    const [unsub, exited, capped] = touches.map((t) => t.customerId);
    // After the batch was scheduled: one unsubscribed through Winback, one left the sequence, one got another campaign's email an hour ago.
    await insertSuppression(h.db.sql, {
      shop: SHOP,
      customerId: unsub!,
      email: null,
      source: "link",
      campaignId: null,
      messageLogId: null,
      at: h.clock.now,
    });
    await exitMember(h.db.sql, campaignId, exited!, "ordered", h.clock.now);
    await h.db.sql.query(
      `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", status, subject, attempts, "sentAt", "createdAt", "updatedAt")
       VALUES ('other-campaign-msg', $1, $2, 'winback_standard', 'campaign:other:day0', 'sent', 'Hi', 1, $3, $3, $3)`,
      [SHOP, capped, new Date(h.clock.now.getTime() - 3_600_000)],
    );
    let calls = 0;
    const mailsBefore = h.mails.length;
    const r = await runTouchBatch(
      batchedOnly((m) => (calls++, h.deps.messenger.sendEmails!(m))),
      std,
    );
    expect(calls).toBeGreaterThan(0);
    // exitMember cancels the member's scheduled touches at once: the batch no longer selects that one.
    expect(r).toMatchObject({ ran: touches.length - 1, actions: { sent: touches.length - 3, exited: 1, deferred: 1 } });
    const sentTo = h.mails.slice(mailsBefore).map((m) => m.to);
    expect(sentTo).toHaveLength(touches.length - 3);
    const after = new Map((await touchesOf(3, std.batch)).map((t) => [t.customerId, t]));
    expect(after.get(unsub!)).toMatchObject({ state: "canceled", reason: "unsubscribed" });
    expect(after.get(exited!)).toMatchObject({ state: "canceled", reason: "ordered" });
    expect(after.get(capped!)).toMatchObject({ state: "scheduled", reason: "deferred" });
    expect(after.get(capped!)!.notBefore).not.toBeNull();
    // The deferred touch re-arms its batch (ADR 084), as on the per-touch path.
    expect(r.nextRunAt).not.toBeNull();
    const member = await h.db.sql.query<{ exitReason: string | null }>(
      `SELECT "exitReason" FROM "CampaignMember" WHERE "campaignId" = $1 AND "customerId" = $2`,
      [campaignId, unsub],
    );
    expect(member[0]!.exitReason).toBe("unsubscribed");
  }, 60_000);
});
