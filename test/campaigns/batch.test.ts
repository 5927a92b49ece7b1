import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignDeps } from "../../app/campaigns/deps";
import { requestLaunch, TOUCH_BATCH_QUEUE, TOUCH_QUEUE } from "../../app/campaigns/launch";
import { runTouchBatch } from "../../app/campaigns/touch";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, SHOP, type CampaignHarness } from "./support";

/*
 * Touch batches (ADR 084): one job runs a day's batch of touches. A crash in the middle of a batch
 * and the queue's retry send nobody twice; a deferred touch waits in its batch (notBefore) and the
 * batch re-arms itself for it instead of queueing a job per touch.
 */
describe.each(databaseKinds)("touch batches (%s)", (kind) => {
  let h: CampaignHarness;
  let campaignId: string;
  const day0Batches = () =>
    h.jobs.filter((j) => j.queue === TOUCH_BATCH_QUEUE && j.payload.campaignId === campaignId && j.payload.day === 0).map((j) => j.payload);
  const touchesOf = (day: number) =>
    h.db.sql.query<{ customerId: string; state: string; reason: string | null; branch: string; batch: number }>(
      `SELECT "customerId"::text AS "customerId", state, reason, branch, batch FROM "CampaignTouch" WHERE "campaignId" = $1 AND day = $2 ORDER BY "customerId"`,
      [campaignId, day],
    );

  const customerOf = async (to: string) => {
    const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
    const rows = await h.db.sql.query<{ id: string }>(
      `SELECT id::text AS id FROM "Customer" WHERE shop = $1 AND lower(email) = lower($2)`,
      [SHOP, address.trim()],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.id;
  };

  beforeAll(async () => {
    h = await campaignHarness(kind, { vip: 4, standard: 30 });
    await h.db.sql.query(
      `UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED', email = coalesce(email, 'c' || id || '@example.com') WHERE shop = $1`,
      [SHOP],
    );
    ({ campaignId } = await requestLaunch(h.deps, { shop: SHOP, launchKey: "batch-campaign-01", name: "Batches", settings: {} }));
    await h.runDue({ queues: ["campaign.launch"] });
    expect((await campaignRow(h.db, campaignId)).status).toBe("active");
  }, 120_000);
  afterAll(async () => h?.close());

  it("a crash in the middle of a batch, then the retry: every due customer gets the day-0 email exactly once", async () => {
    const std = day0Batches().find((b) => b.batch === 1)!; // the Standard branch's day-0 batch (VIP's is batch 0)
    const touches = (await touchesOf(0)).filter((t) => t.batch === std.batch);
    expect(touches.length).toBeGreaterThan(10);
    expect(touches.every((t) => t.branch === "Standard" && t.state === "scheduled")).toBe(true);

    // The process dies after the 5th email left: that one's row is never written, and nothing after it is sent.
    let calls = 0;
    const dying: CampaignDeps = {
      ...h.deps,
      messenger: {
        async sendEmail(msg) {
          const n = ++calls;
          if (n > 5) throw new Error("process killed");
          const out = await h.deps.messenger.sendEmail(msg);
          if (n === 5) throw new Error("process killed");
          return out;
        },
      },
    };
    await expect(runTouchBatch(dying, std)).rejects.toThrow(/process killed/);
    expect(h.mails).toHaveLength(5);
    const mid = await touchesOf(0);
    expect(mid.filter((t) => t.batch === std.batch && t.state === "sent")).toHaveLength(4);

    // The queue retries the job: the four recorded ones are no-ops, the fifth is the messenger's duplicate, the rest go out.
    const retry = await runTouchBatch(h.deps, std);
    expect(retry.actions).toEqual({ sent: touches.length - 4 });
    expect(retry.ran).toBe(touches.length - 4);
    const perCustomer = new Map<string, number>();
    for (const m of h.mails) perCustomer.set(await customerOf(m.to), (perCustomer.get(await customerOf(m.to)) ?? 0) + 1);
    expect([...perCustomer.values()].every((n) => n === 1)).toBe(true);
    expect([...perCustomer.keys()].sort()).toEqual(touches.map((t) => t.customerId).sort());
    const after = (await touchesOf(0)).filter((t) => t.batch === std.batch);
    expect(after.every((t) => t.state === "sent")).toBe(true);
    expect(after.filter((t) => t.reason === "duplicate")).toHaveLength(1);

    // A third run (a duplicated job) finds nothing due and sends nothing.
    const before = h.mails.length;
    expect(await runTouchBatch(h.deps, std)).toMatchObject({ ran: 0, nextRunAt: null });
    expect(h.mails).toHaveLength(before);
  }, 60_000);

  it("a deferred touch waits in its batch: the batch re-arms itself for it (no per-touch job) and it goes out then", async () => {
    const vip = day0Batches().find((b) => b.batch === 0)!;
    const vipTouches = (await touchesOf(0)).filter((t) => t.batch === vip.batch);
    expect(vipTouches.length).toBeGreaterThan(1);
    const capped = vipTouches[0]!.customerId;
    // The messenger's frequency cap holds one customer back (another campaign's email reached them).
    const capping: CampaignDeps = {
      ...h.deps,
      messenger: {
        sendEmail: async (msg) =>
          msg.customerId === capped ? { status: "skipped", reason: "frequency_cap" } : h.deps.messenger.sendEmail(msg),
      },
    };
    const jobsBefore = h.jobs.length;
    const mailsBefore = h.mails.length;
    const r = await runTouchBatch(capping, vip);
    expect(r.actions).toEqual({ sent: vipTouches.length - 1, deferred: 1 });
    expect(h.mails.length - mailsBefore).toBe(vipTouches.length - 1);
    const capHours = (await campaignRow(h.db, campaignId)).settings.frequencyCapHours as number;
    expect(r.nextRunAt!.getTime()).toBe(h.clock.now.getTime() + capHours * 3_600_000);
    // One job: the batch again, at the deferral's time; nothing on the per-touch queue.
    const added = h.jobs.slice(jobsBefore);
    expect(added.map((j) => [j.queue, j.payload, j.opts?.runAt?.getTime()])).toEqual([[TOUCH_BATCH_QUEUE, vip, r.nextRunAt!.getTime()]]);
    expect(h.jobs.some((j) => j.queue === TOUCH_QUEUE)).toBe(false);
    const waiting = (await touchesOf(0)).find((t) => t.customerId === capped)!;
    expect(waiting).toMatchObject({ state: "scheduled", reason: "deferred" });

    // Before its time the re-armed batch does nothing; at its time the touch goes out.
    expect((await runTouchBatch(h.deps, vip)).ran).toBe(0);
    h.clock.now = new Date(r.nextRunAt!.getTime());
    const later = await runTouchBatch(h.deps, vip);
    expect(later).toMatchObject({ ran: 1, actions: { sent: 1 } });
    const to = (await Promise.all(h.mails.map((m) => customerOf(m.to)))).filter((id) => id === capped);
    expect(to).toHaveLength(1);
    expect((await touchesOf(0)).find((t) => t.customerId === capped)).toMatchObject({ state: "sent" });
  }, 60_000);
});
