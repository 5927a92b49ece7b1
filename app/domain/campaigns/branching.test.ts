import { describe, expect, it } from "vitest";
import { branchFor, NoClickBranchSchema } from "./branching";

const due = new Date("2027-01-04T09:00:00Z");
const before = new Date("2027-01-02T12:00:00Z");
const after = new Date("2027-01-05T12:00:00Z");
const subjectBranch = NoClickBranchSchema.parse({ subject: "Still thinking it over?" });

describe("engagement branches (issue 15 item 3)", () => {
  it("off unless the merchant turned it on: no branch is the main message", () => {
    expect(branchFor({ day: 3, dueAt: due, humanClicksAt: [] })).toEqual({ variant: "main" });
    expect(branchFor({ ifNoClick: null, day: 3, dueAt: due, humanClicksAt: [] })).toEqual({ variant: "main" });
  });

  it("a customer who clicked an earlier message gets the main step; one who did not gets the branch", () => {
    expect(branchFor({ ifNoClick: subjectBranch, day: 3, dueAt: due, humanClicksAt: [before] })).toEqual({ variant: "main" });
    expect(branchFor({ ifNoClick: subjectBranch, day: 3, dueAt: due, humanClicksAt: [] })).toEqual({
      variant: "no_click",
      channel: "email",
      subject: "Still thinking it over?",
      intro: null,
    });
  });

  it("a click after the step was due does not count (a late retry decides as it would have on time)", () => {
    expect(branchFor({ ifNoClick: subjectBranch, day: 3, dueAt: due, humanClicksAt: [after] })).toMatchObject({ variant: "no_click" });
    expect(branchFor({ ifNoClick: subjectBranch, day: 3, dueAt: due, humanClicksAt: [due] })).toEqual({ variant: "main" });
  });

  it("day 0 never branches: there is no earlier message to click", () => {
    expect(branchFor({ ifNoClick: subjectBranch, day: 0, dueAt: due, humanClicksAt: [] })).toEqual({ variant: "main" });
  });

  it("channel flow fires the Flow trigger instead of an email", () => {
    const flow = NoClickBranchSchema.parse({ channel: "flow" });
    expect(branchFor({ ifNoClick: flow, day: 10, dueAt: due, humanClicksAt: [] })).toEqual({ variant: "no_click", channel: "flow" });
  });

  it("an email branch without its own words is refused with a clear message", () => {
    const r = NoClickBranchSchema.safeParse({ channel: "email", subject: "  " });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/own subject or intro/);
    expect(NoClickBranchSchema.safeParse({ subject: "x".repeat(301) }).success).toBe(false);
  });
});
