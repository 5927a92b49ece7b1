import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { createOutreachTasks, outreachTaskFor } from "../../app/outreach/create-tasks";
import { addNote, bulkTransition, transitionTask } from "../../app/outreach/move-task";
import { getTask, listNotes, redactOutreachCustomers } from "../../app/outreach/store";
import { escalationPass, ESCALATE_QUEUE, outreachJobDefinitions, scheduleEscalations } from "../../app/outreach/jobs";
import { outreachOnOrderChanged } from "../../app/outreach/feature";
import { redactCustomer } from "../../app/compliance.server";
import { VIP_TRANSITIONS, type VipTaskStatus } from "../../app/domain/campaigns";
import { isAppError } from "../../app/lib/errors";
import { DAY, LAUNCH, SHOP, after, ago, seedCustomer, seedOrder, seedShop, settings } from "./support";

const ALL: VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due", "responded", "won_back", "escalated"];
/** A path of allowed moves from to_contact to each status. */
const PATH: Record<VipTaskStatus, VipTaskStatus[]> = {
  to_contact: [],
  contacted: ["contacted"],
  follow_up_due: ["contacted", "follow_up_due"],
  responded: ["contacted", "responded"],
  escalated: ["escalated"],
  won_back: ["won_back"],
};

interface Sent {
  queue: string;
  payload: unknown;
  opts?: { runAt?: Date; singletonKey?: string };
}

describe.each(databaseKinds)("outreach lifecycle (%s)", (kind) => {
  let t: TestDb;
  let seq = 0;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seedShop(t.db.sql, SHOP, "UTC");
    for (let i = 1; i <= 60; i++) {
      await seedCustomer(t.db.sql, String(i));
      await seedOrder(t.db.sql, {
        id: String(10_000 + i),
        customerId: String(i),
        processedAt: ago(200),
        lines: [{ productId: "1", title: "Tea" }],
      });
    }
  });
  afterAll(() => t.drop());

  /** A fresh task (own campaign) walked to `status` along allowed moves. */
  async function taskIn(status: VipTaskStatus) {
    const campaignId = `c${++seq}`;
    const customerId = String(seq);
    await createOutreachTasks(t.db.sql, { shop: SHOP, campaignId, launchAt: LAUNCH, settings: settings(), customerIds: [customerId] });
    const task = (await outreachTaskFor(t.db.sql, SHOP, campaignId, customerId))!;
    let h = 1;
    for (const to of PATH[status])
      await transitionTask(t.db.sql, { shop: SHOP, taskId: task.id, to, now: new Date(LAUNCH.getTime() + h++ * 3_600_000) });
    return task.id;
  }

  it("allows exactly the domain's moves; every other one is CONFLICT and changes nothing", async () => {
    for (const from of ALL) {
      for (const to of ALL) {
        if (from === to) continue;
        const id = await taskIn(from);
        const before = await getTask(t.db.sql, SHOP, id);
        const r = await transitionTask(t.db.sql, { shop: SHOP, taskId: id, to, now: after(1) }).catch((e) => e);
        if (VIP_TRANSITIONS[from].includes(to)) {
          expect(r, `${from} -> ${to}`).toMatchObject({ from, to, changed: true });
          expect((await getTask(t.db.sql, SHOP, id)).status).toBe(to);
        } else {
          expect(isAppError(r, "CONFLICT"), `${from} -> ${to}`).toBe(true);
          expect(await getTask(t.db.sql, SHOP, id)).toEqual(before);
        }
      }
    }
  }, 240_000);

  it("records timestamps and history, and treats a repeated click as a no-op", async () => {
    const id = await taskIn("to_contact");
    const at = after(1);
    await transitionTask(t.db.sql, { shop: SHOP, taskId: id, to: "contacted", now: at, note: "Left a voicemail", author: "Ana" });
    const again = await transitionTask(t.db.sql, { shop: SHOP, taskId: id, to: "contacted", now: after(2) });
    expect(again.changed).toBe(false);
    const row = await getTask(t.db.sql, SHOP, id);
    expect(row.contactedAt).toEqual(at);
    expect(row.followUpAt).toEqual(new Date(at.getTime() + 7 * DAY)); // follow-up counts from the contact
    expect(row.history).toEqual([{ from: "to_contact", to: "contacted", at: at.toISOString(), note: "Left a voicemail" }]);
    expect((await listNotes(t.db.sql, SHOP, id)).map((n) => [n.author, n.body])).toEqual([["Ana", "Contacted: Left a voicemail"]]);
    await transitionTask(t.db.sql, { shop: SHOP, taskId: id, to: "responded", now: after(3) });
    expect((await getTask(t.db.sql, SHOP, id)).respondedAt).toEqual(after(3));
    const missing = await transitionTask(t.db.sql, { shop: SHOP, taskId: "nope", to: "contacted", now: at }).catch((e) => e);
    expect(isAppError(missing, "NOT_FOUND")).toBe(true);
    const bad = await transitionTask(t.db.sql, { shop: SHOP, taskId: id, to: "done" as VipTaskStatus, now: at }).catch((e) => e);
    expect(isAppError(bad, "INVALID_INPUT")).toBe(true);
  });

  it("bulk moves what can move and reports the rest", async () => {
    const a = await taskIn("to_contact");
    const b = await taskIn("contacted");
    const c = await taskIn("won_back");
    const r = await bulkTransition(t.db.sql, { shop: SHOP, taskIds: [a, b, c, "missing", a], to: "contacted", now: after(1) });
    expect(r).toEqual({ changed: [a], unchanged: [b], conflicts: [{ taskId: c, status: "won_back" }], notFound: ["missing"] });
    await expect(bulkTransition(t.db.sql, { shop: SHOP, taskIds: [], to: "contacted", now: after(1) })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it("appends notes once per form submission, rejects empty ones", async () => {
    const id = await taskIn("to_contact");
    const noteId = "3f7f5b7e-2a4c-4d1e-9a55-0a8b9c6d1e2f";
    expect(
      await addNote(t.db.sql, { shop: SHOP, taskId: id, author: "Ana", body: "Prefers calls after 6pm", noteId, now: after(1) }),
    ).toEqual({ created: true, noteId });
    expect(
      await addNote(t.db.sql, { shop: SHOP, taskId: id, author: "Ana", body: "Prefers calls after 6pm", noteId, now: after(1) }),
    ).toEqual({ created: false, noteId });
    await addNote(t.db.sql, { shop: SHOP, taskId: id, body: "Sent sample box", now: after(2) });
    expect((await listNotes(t.db.sql, SHOP, id)).map((n) => `${n.author}: ${n.body}`)).toEqual([
      "Ana: Prefers calls after 6pm",
      "Staff: Sent sample box",
    ]);
    await expect(addNote(t.db.sql, { shop: SHOP, taskId: id, body: "   ", now: after(2) })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(addNote(t.db.sql, { shop: SHOP, taskId: "nope", body: "x", now: after(2) })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe.each(databaseKinds)("escalation and won back (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seedShop(t.db.sql, SHOP, "UTC");
    for (const id of ["1", "2", "3", "4", "5", "6"]) {
      await seedCustomer(t.db.sql, id);
      await seedOrder(t.db.sql, { id: `9${id}`, customerId: id, processedAt: ago(300), lines: [{ productId: "1", title: "Tea" }] });
    }
    await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "c1",
      launchAt: LAUNCH,
      settings: settings({ followUpDays: 7, graceDays: 2 }),
      customerIds: ["1", "2", "3", "4", "5", "6"],
    });
  });
  afterAll(() => t.drop());

  const id = async (customerId: string) => (await outreachTaskFor(t.db.sql, SHOP, "c1", customerId))!.id;
  const status = async (customerId: string) => (await outreachTaskFor(t.db.sql, SHOP, "c1", customerId))!.status;

  it("escalates unanswered tasks to the owner after follow-up + grace, not a minute before", async () => {
    // 2 contacted on day 1 -> follow-up day 8, escalation day 10. 3 responded. 1 never contacted -> escalates day 9.
    await transitionTask(t.db.sql, { shop: SHOP, taskId: await id("2"), to: "contacted", now: after(1) });
    await transitionTask(t.db.sql, { shop: SHOP, taskId: await id("3"), to: "contacted", now: after(1) });
    await transitionTask(t.db.sql, { shop: SHOP, taskId: await id("3"), to: "responded", now: after(2) });
    const sent: Sent[] = [];
    const queue = { send: async (q: string, payload: unknown, opts?: Sent["opts"]) => (sent.push({ queue: q, payload, opts }), "j") };
    let now = after(9 - 1 / 1440); // one minute before day 9
    const deps = { sql: t.db.sql, queue, now: () => now };
    const early = await escalationPass(deps, SHOP);
    expect(early.escalated).toEqual([]);
    expect(early.followUpDue).toBe(1); // 2 reached its follow-up date (day 8)
    expect(await status("2")).toBe("follow_up_due");
    now = after(9);
    let r = await escalationPass(deps, SHOP);
    expect(r.escalated.map((e) => e.escalatedTo)).toEqual(["owner@shop.test", "owner@shop.test", "owner@shop.test", "owner@shop.test"]); // 1,4,5,6
    expect(await status("1")).toBe("escalated");
    expect(await status("2")).toBe("follow_up_due");
    expect(r.followUpDue).toBe(0);
    const esc = await getTask(t.db.sql, SHOP, await id("1"));
    expect([esc.escalatedAt, esc.escalatedTo]).toEqual([after(9), "owner@shop.test"]);
    // A retried pass changes nothing.
    expect((await escalationPass(deps, SHOP)).escalated).toEqual([]);
    now = after(10);
    r = await escalationPass(deps, SHOP);
    expect(r.escalated.map((e) => e.customerId)).toEqual(["2"]);
    const two = await getTask(t.db.sql, SHOP, await id("2"));
    expect(two.history.map((e) => `${e.to}@${e.at}`)).toEqual([
      `contacted@${after(1).toISOString()}`,
      `follow_up_due@${after(8).toISOString()}`,
      `escalated@${after(10).toISOString()}`,
    ]);
    expect(await status("3")).toBe("responded");
    // While tasks were open each pass asked for the next daily check (one key per day); the last left none open.
    expect(sent.map((s) => s.opts?.singletonKey)).toEqual([
      `${SHOP}:daily:2026-12-11`,
      `${SHOP}:daily:2026-12-11`,
      `${SHOP}:daily:2026-12-11`,
    ]);
    expect(sent[0]!.opts?.runAt).toEqual(new Date("2026-12-11T00:05:00Z"));
    expect(sent.every((s) => s.queue === ESCALATE_QUEUE)).toBe(true);
  });

  it("marks a VIP won back from the order webhook path: qualifying orders only", async () => {
    const sql = t.db.sql;
    const hook = (orderId: string, customerId: string | null) =>
      outreachOnOrderChanged({ sql, now: () => after(12) }, { shop: SHOP, customerId, ...{ orderId } });
    // Test and cancelled orders after launch, and an order before launch, do not count.
    await seedOrder(sql, { id: "501", customerId: "5", processedAt: after(11), test: true });
    await seedOrder(sql, { id: "502", customerId: "5", processedAt: after(11), cancelledAt: after(11) });
    await seedOrder(sql, { id: "503", customerId: "5", processedAt: new Date(LAUNCH.getTime() - 60_000) });
    expect(await hook("501", "5")).toEqual([]);
    expect(await hook("502", "5")).toEqual([]);
    expect(await status("5")).toBe("escalated");
    await seedOrder(sql, { id: "504", customerId: "5", processedAt: after(11) });
    expect(await hook("504", "5")).toEqual([{ taskId: await id("5"), orderId: "504" }]);
    const won = await getTask(sql, SHOP, await id("5"));
    expect([won.status, won.wonBackOrderId, won.wonBackAt]).toEqual(["won_back", "504", after(12)]);
    // Replayed webhook: nothing changes.
    expect(await hook("504", "5")).toEqual([]);
    expect(await hook("999", null)).toEqual([]);
    // A responded VIP who orders is won back too.
    await seedOrder(sql, { id: "301", customerId: "3", processedAt: after(5) });
    await hook("301", "3");
    expect(await status("3")).toBe("won_back");
  });

  it("schedules escalation checks once per moment, and the job runs a pass", async () => {
    const sent: Sent[] = [];
    const queue = { send: async (q: string, payload: unknown, opts?: Sent["opts"]) => (sent.push({ queue: q, payload, opts }), "j") };
    await scheduleEscalations(queue, SHOP, new Date("2026-12-10T09:00:31.500Z"));
    expect(sent[0]).toEqual({
      queue: ESCALATE_QUEUE,
      payload: { shop: SHOP },
      opts: { runAt: new Date("2026-12-10T09:00:00Z"), singletonKey: `${SHOP}:at:2026-12-10T09:00:00.000Z` },
    });
    const [def] = outreachJobDefinitions(async () => ({ sql: t.db.sql, queue, now: () => after(30) }));
    await seedOrder(t.db.sql, { id: "601", customerId: "6", processedAt: after(20) });
    await def!.handler(def!.payload.parse({ shop: SHOP }), { jobId: "j1", attempt: 1 });
    expect(await status("6")).toBe("won_back");
    expect(() => def!.payload.parse({})).toThrow();
  });

  it("customers/redact removes the customer's tasks and notes", async () => {
    const taskId = await id("4");
    await addNote(t.db.sql, { shop: SHOP, taskId, body: "Called, no answer", now: after(3) });
    // Outreach's compliance hook (ADR 076), run the way app/compliance.server.ts runs every feature's.
    await redactCustomer(
      [{ name: "outreach", redactCustomers: (tx, shop, { customerIds }) => redactOutreachCustomers(tx, shop, customerIds) }],
      t.db.sql,
      SHOP,
      4n,
    );
    expect(await outreachTaskFor(t.db.sql, SHOP, "c1", "4")).toBeNull();
    expect(await t.db.sql.query(`SELECT id FROM "OutreachNote" WHERE "taskId" = $1`, [taskId])).toEqual([]);
    expect(await outreachTaskFor(t.db.sql, SHOP, "c1", "1")).not.toBeNull();
  });
});
