import { describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import {
  autoEscalate,
  createVipTask,
  defaultCampaignSettings,
  escalationDueAt,
  markContacted,
  markResponded,
  markWonBack,
  nextTouchDecision,
  touchSchedule,
  transitionVipTask,
  VIP_TRANSITIONS,
  type VipTaskStatus,
} from "./index";

const settings = defaultCampaignSettings();
const launch = new Date("2026-12-01T09:00:00Z");
const h = (n: number) => n * 3_600_000;
const d = (n: number) => n * 86_400_000;
const at = (ms: number) => new Date(launch.getTime() + ms);

describe("touchSchedule", () => {
  it("lays out each branch from launch", () => {
    expect(touchSchedule(launch, "Standard", settings).map((s) => [s.step, s.day, s.dueAt.toISOString()])).toEqual([
      [0, 0, "2026-12-01T09:00:00.000Z"],
      [1, 3, "2026-12-04T09:00:00.000Z"],
      [2, 10, "2026-12-11T09:00:00.000Z"],
    ]);
    expect(touchSchedule(launch, "VIP", settings).map((s) => s.day)).toEqual([0, 7]);
  });
});

describe("nextTouchDecision", () => {
  const active = {
    customerState: { ordered: false, unsubscribed: false },
    campaignStatus: "active" as const,
    lastMessageAt: null,
    now: launch,
  };

  it("sends when nothing stands in the way", () => {
    expect(nextTouchDecision(active)).toEqual({ action: "send" });
    expect(nextTouchDecision({ customerState: {}, campaignStatus: "active", lastMessageAt: null, now: launch })).toEqual({
      action: "send",
    });
  });
  it("exits on order, unsubscribe, holdout, ended campaign — order first", () => {
    expect(nextTouchDecision({ ...active, customerState: { ordered: true, unsubscribed: true } })).toEqual({
      action: "exit",
      reason: "ordered",
    });
    expect(nextTouchDecision({ ...active, customerState: { ordered: false, unsubscribed: true } })).toEqual({
      action: "exit",
      reason: "unsubscribed",
    });
    expect(nextTouchDecision({ ...active, customerState: { ordered: false, unsubscribed: false, inHoldout: true } })).toEqual({
      action: "exit",
      reason: "holdout",
    });
    expect(nextTouchDecision({ ...active, campaignStatus: "completed" })).toEqual({ action: "exit", reason: "campaign_ended" });
    expect(nextTouchDecision({ ...active, campaignStatus: "cancelled", customerState: { ordered: true, unsubscribed: false } })).toEqual({
      action: "exit",
      reason: "ordered",
    });
  });
  it("skips while paused or not started", () => {
    expect(nextTouchDecision({ ...active, campaignStatus: "paused" })).toEqual({ action: "hold", reason: "campaign_paused" });
    expect(nextTouchDecision({ ...active, campaignStatus: "scheduled" })).toEqual({ action: "skip", reason: "campaign_not_started" });
  });
  it("defers (never drops) inside the 48h frequency cap, exactly until the cap ends", () => {
    const last = at(-h(47));
    expect(nextTouchDecision({ ...active, lastMessageAt: last })).toEqual({ action: "defer", reason: "frequency_cap", until: at(h(1)) });
    expect(nextTouchDecision({ ...active, lastMessageAt: last, now: at(h(1) - 1) }).action).toBe("defer");
    expect(nextTouchDecision({ ...active, lastMessageAt: last, now: at(h(1)) })).toEqual({ action: "send" });
    expect(nextTouchDecision({ ...active, lastMessageAt: at(-h(10)), settings: { frequencyCapHours: 6 } })).toEqual({ action: "send" });
  });
  it("defers early calls until the step is due", () => {
    expect(nextTouchDecision({ ...active, dueAt: at(d(3)) })).toEqual({ action: "defer", reason: "not_due", until: at(d(3)) });
  });
});

describe("VIP task state machine", () => {
  const task = createVipTask({ id: "t1", campaignId: "c1", customerId: "cu1", createdAt: launch });

  it("walks the happy path and records history", () => {
    const contacted = markContacted(task, at(h(2)), settings, "left voicemail");
    expect(contacted.status).toBe("contacted");
    expect(contacted.followUpAt).toEqual(at(h(2) + d(7)));
    const responded = markResponded(contacted, at(d(1)));
    const won = markWonBack(responded, at(d(3)), "order-9");
    expect(won.status).toBe("won_back");
    expect(won.wonBackOrderId).toBe("order-9");
    expect(won.history.map((e) => `${e.from}->${e.to}`)).toEqual(["to_contact->contacted", "contacted->responded", "responded->won_back"]);
    expect(won.history[0].note).toBe("left voicemail");
    expect(task.status).toBe("to_contact");
  });

  it("rejects every transition outside the table with CONFLICT", () => {
    const all: VipTaskStatus[] = ["to_contact", "contacted", "follow_up_due", "responded", "won_back", "escalated"];
    let rejected = 0;
    for (const from of all) {
      for (const to of all) {
        const t = { ...task, status: from };
        if (VIP_TRANSITIONS[from].includes(to)) {
          expect(transitionVipTask(t, to, launch).status).toBe(to);
        } else {
          rejected++;
          try {
            transitionVipTask(t, to, launch);
            expect.unreachable();
          } catch (e) {
            expect(isAppError(e, "CONFLICT")).toBe(true);
          }
        }
      }
    }
    expect(rejected).toBeGreaterThan(15);
    expect(() => transitionVipTask(task, "responded", launch)).toThrow(/cannot go from to_contact to responded/);
    expect(() => markContacted({ ...task, status: "won_back" }, launch, settings)).toThrow(/cannot go/);
  });

  it("markWonBack works from every non-terminal state and is idempotent", () => {
    for (const s of ["to_contact", "contacted", "follow_up_due", "responded", "escalated"] as const) {
      expect(markWonBack({ ...task, status: s }, launch).status).toBe("won_back");
    }
    const won = markWonBack(task, launch, "o1");
    expect(markWonBack(won, at(d(1)), "o2")).toBe(won);
  });

  it("autoEscalate: follow-up due at day 7, escalated only after grace, unchanged before", () => {
    const s = { vip: { ...settings.vip, owner: "owner@shop.test" } };
    const contacted = markContacted(task, launch, s);
    expect(autoEscalate(contacted, at(d(7) - 1), s)).toBe(contacted);
    const due = autoEscalate(contacted, at(d(7)), s);
    expect(due.status).toBe("follow_up_due");
    expect(autoEscalate(due, at(d(9) - 1), s)).toBe(due);
    const esc = autoEscalate(due, at(d(9)), s);
    expect(esc.status).toBe("escalated");
    expect(esc.escalatedTo).toBe("owner@shop.test");
    expect(esc.history.at(-1)!.at).toEqual(at(d(9)));
    // A job that ran late jumps both steps at once, stamped with when they were due.
    const late = autoEscalate(contacted, at(d(30)), s);
    expect(late.history.map((e) => e.to)).toEqual(["contacted", "follow_up_due", "escalated"]);
    expect(autoEscalate(late, at(d(31)), s)).toBe(late);
  });

  it("autoEscalate leaves responded/won tasks alone and escalates never-contacted ones", () => {
    const responded = markResponded(markContacted(task, launch, settings), at(d(1)));
    expect(autoEscalate(responded, at(d(60)), settings)).toBe(responded);
    expect(escalationDueAt(task, settings)).toEqual(at(d(9)));
    expect(autoEscalate(task, at(d(9)), settings).status).toBe("escalated");
    expect(autoEscalate(task, at(d(9)), settings).escalatedTo).toBeNull();
  });
});
