import { describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import { mulberry32 } from "../stats";
import { armDiscountCode, armFor, armTagFor, measureExperiment, parseExperiment, planExperiment, type ArmOutcome } from "./experiment";
import { discountCodeFor, isHoldout } from "./holdout";
import type { ArmTotals } from "./measurement";

const totals = (n: number, reactivated: number, revenuePerBuyer = 50): ArmTotals => ({
  n,
  reactivated,
  revenueSum: reactivated * revenuePerBuyer,
  revenueSumSq: reactivated * revenuePerBuyer * revenuePerBuyer,
});
const arm = (key: "A" | "B" | "C" | "D", n: number, x: number, rev = 50): ArmOutcome => ({ key, redemptions: 0, ...totals(n, x, rev) });

describe("experiment definition", () => {
  it("keys arms A.. in order and fills defaults", () => {
    const e = parseExperiment({
      arms: [{ offer: { kind: "percentage", value: 10 } }, { offer: { kind: "fixed_amount", value: 5 }, subject: "Hi {first_name}" }],
    });
    expect(e.arms.map((a) => a.key)).toEqual(["A", "B"]);
    expect(e.arms[1]!.subject).toBe("Hi {first_name}");
    expect(e.metric).toBe("reactivation");
  });

  it("refuses one arm, five arms, twin arms and a percentage over 100, naming each problem", () => {
    const bad = (input: unknown) => {
      try {
        parseExperiment(input);
      } catch (e) {
        expect(isAppError(e, "INVALID_INPUT")).toBe(true);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad({ arms: [{ offer: { kind: "free_shipping" } }] })).toMatch(/at least two arms/);
    expect(bad({ arms: Array.from({ length: 5 }, (_, i) => ({ offer: { kind: "percentage", value: i + 1 } })) })).toMatch(/at most four/);
    expect(bad({ arms: [{ offer: { kind: "free_shipping" } }, { offer: { kind: "free_shipping" } }] })).toMatch(/same offer/);
    expect(bad({ arms: [{ offer: { kind: "percentage", value: 120 } }, { offer: { kind: "free_shipping" } }] })).toMatch(
      /arms.0.offer.value/,
    );
  });

  it("derives each arm's code and tag from the campaign's", () => {
    expect(armDiscountCode("launch-key-1", "B")).toBe(`${discountCodeFor("launch-key-1")}-B`);
    expect(armTagFor("winback-7k2m9q", "C")).toBe("winback-7k2m9q-c");
  });
});

describe("arm assignment", () => {
  const ids = Array.from({ length: 30_000 }, (_, i) => String(7_000_000_000 + i * 7));

  it("is deterministic and balanced across three arms (each within 1.5 points of a third)", () => {
    const counts = { A: 0, B: 0, C: 0, D: 0 };
    for (const id of ids) counts[armFor("camp-1", id, 3)]++;
    expect(ids.slice(0, 50).map((id) => armFor("camp-1", id, 3))).toEqual(ids.slice(0, 50).map((id) => armFor("camp-1", id, 3)));
    expect(counts.D).toBe(0);
    for (const k of ["A", "B", "C"] as const) expect(Math.abs(counts[k] / ids.length - 1 / 3)).toBeLessThan(0.015);
  });

  it("does not depend on the holdout draw: every arm has the holdout share", () => {
    const byArm = new Map<string, { n: number; h: number }>();
    for (const id of ids) {
      const a = armFor("camp-2", id, 4);
      const e = byArm.get(a) ?? { n: 0, h: 0 };
      e.n++;
      if (isHoldout("camp-2", id, 0.2)) e.h++;
      byArm.set(a, e);
    }
    expect(byArm.size).toBe(4);
    for (const e of byArm.values()) expect(Math.abs(e.h / e.n - 0.2)).toBeLessThan(0.02);
  });

  it("refuses an arm count outside 2..4", () => {
    expect(() => armFor("c", "1", 1)).toThrow(/armCount/);
    expect(() => armFor("c", "1", 5)).toThrow(/armCount/);
  });
});

describe("planning before launch", () => {
  it("the MDE shrinks with members, and the sample size found is the smallest that reaches the target", () => {
    const small = planExperiment({ treated: 900, holdout: 100, arms: 3, baselineRate: 0.05 });
    const big = planExperiment({ treated: 9000, holdout: 1000, arms: 3, baselineRate: 0.05 });
    expect(small.perArm).toBe(300);
    expect(big.mdeVsHoldout!).toBeLessThan(small.mdeVsHoldout!);
    expect(big.mdeBetweenArms!).toBeLessThan(small.mdeBetweenArms!);
    const target = 0.03;
    const need = planExperiment({ treated: 3 * big.perArmNeeded!, holdout: 1000, arms: 3, baselineRate: 0.05, targetLift: target });
    expect(need.mdeBetweenArms!).toBeLessThanOrEqual(target);
    const less = planExperiment({ treated: 3 * (big.perArmNeeded! - 1), holdout: 1000, arms: 3, baselineRate: 0.05, targetLift: target });
    expect(less.mdeBetweenArms!).toBeGreaterThan(target);
  });

  it("more arms cost power: the per-comparison level is split (Bonferroni) and the per-arm MDE grows", () => {
    const two = planExperiment({ treated: 6000, holdout: 600, arms: 2, baselineRate: 0.05 });
    const four = planExperiment({ treated: 6000, holdout: 600, arms: 4, baselineRate: 0.05 });
    expect(two.alphaPerComparison).toBeCloseTo(0.05 / 3, 10);
    expect(four.alphaPerComparison).toBeCloseTo(0.05 / 10, 10);
    expect(four.mdeBetweenArms!).toBeGreaterThan(two.mdeBetweenArms!);
  });

  it("no members: no MDE; a bad baseline is refused", () => {
    expect(planExperiment({ treated: 0, holdout: 0, arms: 3, baselineRate: 0.05 }).mdeVsHoldout).toBeNull();
    expect(() => planExperiment({ treated: 10, holdout: 1, arms: 3, baselineRate: 0 })).toThrow(/baselineRate/);
  });
});

describe("results", () => {
  const def = { metric: "reactivation" as const, revenueScale: 2, rateScale: 0.05 };

  it("names the arm that beats every other arm", () => {
    const r = measureExperiment(def, [arm("A", 2000, 100), arm("B", 2000, 260), arm("C", 2000, 110)], totals(600, 25));
    expect(r.best).toBe("B");
    const b = r.arms.find((a) => a.key === "B")!;
    expect(b.rate).toBeCloseTo(0.13, 10);
    expect(b.liftVsHoldout!.low).toBeGreaterThan(0);
    expect(b.liftVsHoldout!.estimate).toBeCloseTo(0.13 - 25 / 600, 10);
    expect(r.pairs).toHaveLength(3);
  });

  it("no winner while the leader does not clear the runner-up, even when both beat the holdout", () => {
    const r = measureExperiment(def, [arm("A", 2000, 250), arm("B", 2000, 260), arm("C", 2000, 110)], totals(600, 25));
    expect(r.best).toBeNull();
    expect(r.leader).toBe("B");
    expect(r.arms.find((a) => a.key === "A")!.liftVsHoldout!.low).toBeGreaterThan(0);
  });

  it("revenue as the metric: a smaller reactivation gain with bigger baskets can win", () => {
    const rev = { metric: "revenue" as const, revenueScale: 2, rateScale: 0.05 };
    const r = measureExperiment(rev, [arm("A", 3000, 300, 40), arm("B", 3000, 280, 90)], totals(600, 25, 40));
    expect(r.leader).toBe("B");
    expect(r.best).toBe("B");
    expect(measureExperiment(def, [arm("A", 3000, 300, 40), arm("B", 3000, 280, 90)], totals(600, 25, 40)).best).toBeNull();
  });

  it("A/A/A looked at daily for 30 days: a false winner in at most 5% of experiments", () => {
    const rnd = mulberry32(11);
    let falseWinners = 0;
    const sims = 300;
    for (let s = 0; s < sims; s++) {
      const ns = [0, 0, 0];
      const xs = [0, 0, 0];
      let h = { n: 0, x: 0 };
      let declared = false;
      for (let d = 0; d < 30 && !declared; d++) {
        for (let i = 0; i < 3; i++) {
          for (let k = 0; k < 30; k++) {
            ns[i]!++;
            if (rnd() < 0.08) xs[i]!++;
          }
        }
        for (let k = 0; k < 10; k++) h = { n: h.n + 1, x: h.x + (rnd() < 0.08 ? 1 : 0) };
        const r = measureExperiment(def, [arm("A", ns[0]!, xs[0]!), arm("B", ns[1]!, xs[1]!), arm("C", ns[2]!, xs[2]!)], totals(h.n, h.x));
        if (r.best) declared = true;
      }
      if (declared) falseWinners++;
    }
    expect(falseWinners / sims).toBeLessThanOrEqual(0.05);
  });

  it("refuses impossible counts", () => {
    expect(() => measureExperiment(def, [arm("A", 10, 11), arm("B", 10, 1)], totals(5, 1))).toThrow(/arm A/);
  });
});
