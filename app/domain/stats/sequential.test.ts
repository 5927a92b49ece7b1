import { describe, expect, it } from "vitest";
import { diffOfProportions } from "./proportions";
import { mulberry32 } from "./prng";
import { alwaysValidInterval, sequentialDiffOfProportions } from "./sequential";

/**
 * A/A experiments looked at every day: how often does an interval ever exclude zero? The daily-peeked
 * fixed-sample interval must be shown to fail (otherwise this test proves nothing), the always-valid
 * one must stay at or under α.
 */
function peekingFalsePositiveRates(sims: number, days: number, perDay: number, rate: number, seed: number) {
  const rnd = mulberry32(seed);
  let fixedHits = 0;
  let sequentialHits = 0;
  for (let s = 0; s < sims; s++) {
    const t = { x: 0, n: 0 };
    const h = { x: 0, n: 0 };
    let fixed = false;
    let sequential = false;
    for (let d = 0; d < days; d++) {
      for (let i = 0; i < perDay; i++) {
        t.n++;
        if (rnd() < rate) t.x++;
        h.n++;
        if (rnd() < rate) h.x++;
      }
      const f = diffOfProportions(t, h).ci;
      if (f && (f.low > 0 || f.high < 0)) fixed = true;
      const q = sequentialDiffOfProportions(t, h);
      if (q && (q.low > 0 || q.high < 0)) sequential = true;
    }
    if (fixed) fixedHits++;
    if (sequential) sequentialHits++;
  }
  return { fixed: fixedHits / sims, sequential: sequentialHits / sims };
}

describe("always-valid intervals (mSPRT normal mixture)", () => {
  it("an A/A test peeked daily for 30 days: the fixed 95% interval errs far above 5%, the always-valid one stays under it", () => {
    const r = peekingFalsePositiveRates(400, 30, 40, 0.12, 7);
    expect(r.fixed).toBeGreaterThan(0.1);
    expect(r.sequential).toBeLessThanOrEqual(0.05);
  });

  it("a real lift is found: 18% vs 12% with 1,500 per arm excludes zero, and the interval covers the truth", () => {
    const rnd = mulberry32(11);
    const t = { x: 0, n: 1500 };
    const h = { x: 0, n: 1500 };
    for (let i = 0; i < 1500; i++) {
      if (rnd() < 0.18) t.x++;
      if (rnd() < 0.12) h.x++;
    }
    const q = sequentialDiffOfProportions(t, h)!;
    expect(q.low).toBeGreaterThan(0);
    expect(q.low).toBeLessThan(0.06);
    expect(q.high).toBeGreaterThan(0.06);
    expect(q.pValue).toBeLessThan(0.05);
  });

  it("is wider than the fixed-sample interval at the same data (the price of peeking), and narrows with more data", () => {
    const fixed = diffOfProportions({ x: 150, n: 1000 }, { x: 120, n: 1000 }).ci!;
    const seq = sequentialDiffOfProportions({ x: 150, n: 1000 }, { x: 120, n: 1000 })!;
    expect(seq.high - seq.low).toBeGreaterThan(fixed.high - fixed.low);
    const more = sequentialDiffOfProportions({ x: 1500, n: 10000 }, { x: 1200, n: 10000 })!;
    expect(more.high - more.low).toBeLessThan(seq.high - seq.low);
  });

  it("matches the closed form and refuses nonsense", () => {
    const v = 0.0004;
    const tau2 = 0.0004;
    const q = alwaysValidInterval(0.03, v, { tau2, alpha: 0.05 })!;
    const half = Math.sqrt(((v * (v + tau2)) / tau2) * (Math.log(2) + 2 * Math.log(20)));
    expect(q.high - 0.03).toBeCloseTo(half, 12);
    expect(alwaysValidInterval(0.1, 0)).toBeNull();
    expect(sequentialDiffOfProportions({ x: 0, n: 0 }, { x: 1, n: 5 })).toBeNull();
    expect(() => alwaysValidInterval(0, 1, { alpha: 2 })).toThrow(/alpha/);
  });
});
