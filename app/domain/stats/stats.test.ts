import { describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import {
  diffOfMeans,
  diffOfProportions,
  minimumDetectableLift,
  mulberry32,
  normalCdf,
  normalQuantile,
  studentTQuantile,
  sumsOf,
  varianceOf,
  wilsonInterval,
  mergeSums,
  emptySums,
} from "./index";

describe("normal distribution", () => {
  it("matches reference values of Φ", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 13);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 13);
    expect(normalCdf(3)).toBeCloseTo(0.9986501019683699, 13);
    expect(normalCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 7);
    expect(normalCdf(40)).toBe(1);
  });
  it("inverts Φ to near machine precision", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 12);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    for (const p of [0.001, 0.02, 0.02425, 0.3, 0.7, 0.97575, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 13);
  });
});

describe("Student t", () => {
  it("matches table quantiles", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174707, 8);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281388519649385, 9);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422724563012373, 9);
    expect(studentTQuantile(0.025, 30)).toBeCloseTo(-2.0422724563012373, 9);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
  });
});

describe("proportions", () => {
  it("Wilson interval at the boundaries", () => {
    const w = wilsonInterval({ x: 0, n: 10 })!;
    expect(w.low).toBe(0);
    expect(w.high).toBeCloseTo(0.2775328, 6);
    expect(wilsonInterval({ x: 10, n: 10 })!.high).toBe(1);
    expect(wilsonInterval({ x: 0, n: 0 })).toBeNull();
  });
  it("reproduces Newcombe 1998 worked examples (method 10)", () => {
    const a = diffOfProportions({ x: 56, n: 70 }, { x: 48, n: 80 });
    expect(a.diff).toBeCloseTo(0.2, 12);
    expect(a.ci!.low).toBeCloseTo(0.0524, 4);
    expect(a.ci!.high).toBeCloseTo(0.3339, 4);
    const b = diffOfProportions({ x: 9, n: 10 }, { x: 3, n: 10 });
    expect(b.ci!.low).toBeCloseTo(0.1705, 4);
    expect(b.ci!.high).toBeCloseTo(0.809, 4);
    const c = diffOfProportions({ x: 5, n: 56 }, { x: 0, n: 29 });
    expect(c.ci!.low).toBeCloseTo(-0.0381, 4);
    expect(c.ci!.high).toBeCloseTo(0.1926, 4);
  });
  it("handles empty groups and rejects impossible counts", () => {
    const r = diffOfProportions({ x: 3, n: 10 }, { x: 0, n: 0 });
    expect(r.ci).toBeNull();
    expect(r.pValue).toBeNull();
    expect(() => diffOfProportions({ x: 11, n: 10 }, { x: 0, n: 1 })).toThrowError(/x <= n/);
    try {
      diffOfProportions({ x: -1, n: 10 }, { x: 0, n: 1 });
    } catch (e) {
      expect(isAppError(e, "INVALID_INPUT")).toBe(true);
    }
  });
  it("covers the true difference ~95% of the time with a small, unbalanced holdout", () => {
    const rnd = mulberry32(42);
    const trials = 2000;
    const [p1, n1, p2, n2] = [0.06, 900, 0.03, 100];
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      let x1 = 0;
      let x2 = 0;
      for (let i = 0; i < n1; i++) if (rnd() < p1) x1++;
      for (let i = 0; i < n2; i++) if (rnd() < p2) x2++;
      const { ci } = diffOfProportions({ x: x1, n: n1 }, { x: x2, n: n2 });
      if (ci!.low <= p1 - p2 && p1 - p2 <= ci!.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.98);
  });
});

describe("minimum detectable lift", () => {
  it("agrees with the classic sample size: 686 per group detects 10% -> 15%", () => {
    // power.prop.test(p1 = .10, p2 = .15, power = .8) gives n = 685.9 per group.
    expect(minimumDetectableLift({ treatedN: 686, holdoutN: 686, baselineRate: 0.1 })!).toBeCloseTo(0.05, 3);
  });
  it("is close to the textbook (z_a + z_b)·sqrt(2p(1-p)/n) for small lifts", () => {
    const n = 100_000;
    const p = 0.05;
    const approx = 2.8015852 * Math.sqrt((2 * p * (1 - p)) / n);
    expect(minimumDetectableLift({ treatedN: n, holdoutN: n, baselineRate: p })!).toBeCloseTo(approx, 4);
  });
  it("is driven by the smaller group and shrinks as groups grow", () => {
    const small = minimumDetectableLift({ treatedN: 900, holdoutN: 100, baselineRate: 0.05 })!;
    const big = minimumDetectableLift({ treatedN: 9000, holdoutN: 1000, baselineRate: 0.05 })!;
    const balanced = minimumDetectableLift({ treatedN: 500, holdoutN: 500, baselineRate: 0.05 })!;
    expect(big).toBeLessThan(small);
    expect(balanced).toBeLessThan(small);
    expect(small).toBeGreaterThan(0.05);
    expect(small).toBeLessThan(0.1);
  });
  it("returns null when not measurable and validates input", () => {
    expect(minimumDetectableLift({ treatedN: 10, holdoutN: 0, baselineRate: 0.05 })).toBeNull();
    expect(minimumDetectableLift({ treatedN: 1, holdoutN: 1, baselineRate: 0.5 })).toBeNull();
    expect(() => minimumDetectableLift({ treatedN: 10, holdoutN: 10, baselineRate: 1.2 })).toThrow(/baselineRate/);
  });
  it("a simulated test at the MDE has ~80% power", () => {
    const rnd = mulberry32(7);
    const [n1, n0, p0] = [1800, 200, 0.05];
    const d = minimumDetectableLift({ treatedN: n1, holdoutN: n0, baselineRate: p0 })!;
    let rejections = 0;
    const trials = 1500;
    for (let t = 0; t < trials; t++) {
      let x1 = 0;
      let x0 = 0;
      for (let i = 0; i < n1; i++) if (rnd() < p0 + d) x1++;
      for (let i = 0; i < n0; i++) if (rnd() < p0) x0++;
      if (diffOfProportions({ x: x1, n: n1 }, { x: x0, n: n0 }).pValue! < 0.05) rejections++;
    }
    expect(rejections / trials).toBeGreaterThan(0.74);
    expect(rejections / trials).toBeLessThan(0.86);
  });
});

describe("difference of means (Welch)", () => {
  it("matches a hand-checked Welch example", () => {
    // scipy.stats.ttest_ind(a, b, equal_var=False): t = -2.37635, df = 6.97226, CI (-7.98347, -0.01653), p = 0.049284
    const r = diffOfMeans(sumsOf([1, 2, 3, 4, 5]), sumsOf([2, 4, 6, 8, 10, 12]));
    expect(r.diff).toBeCloseTo(-4, 12);
    expect(r.df!).toBeCloseTo(6.972255729794934, 9);
    expect(r.ci!.low).toBeCloseTo(-7.98346869562883, 7);
    expect(r.ci!.high).toBeCloseTo(-0.016531304371169675, 7);
    expect(r.pValue!).toBeCloseTo(0.04928433820673053, 7);
  });
  it("running sums merge like concatenation", () => {
    const a = sumsOf([1, 5, 9]);
    const b = sumsOf([2, 3]);
    expect(mergeSums(a, b)).toEqual(sumsOf([1, 5, 9, 2, 3]));
    expect(mergeSums(emptySums(), a)).toEqual(a);
    expect(varianceOf(sumsOf([4]))).toBeNull();
    expect(varianceOf(sumsOf([0.1, 0.1, 0.1]))).toBe(0);
  });
  it("degrades gracefully for tiny groups", () => {
    expect(diffOfMeans(sumsOf([1]), sumsOf([1, 2])).ci).toBeNull();
    expect(diffOfMeans(sumsOf([]), sumsOf([1, 2])).diff).toBeNull();
    const constant = diffOfMeans(sumsOf([2, 2]), sumsOf([1, 1, 1]));
    expect(constant.ci).toEqual({ low: 1, high: 1 });
  });
  it("covers ~95% on zero-inflated, skewed revenue", () => {
    const rnd = mulberry32(99);
    const draw = (p: number, scale: number) => (rnd() < p ? -Math.log(1 - rnd()) * scale : 0);
    const [nA, nB] = [600, 150];
    const trueDiff = 0.3 * 80 - 0.2 * 80;
    let covered = 0;
    const trials = 1500;
    for (let t = 0; t < trials; t++) {
      let a = emptySums();
      let b = emptySums();
      for (let i = 0; i < nA; i++) {
        const x = draw(0.3, 80);
        a = { n: a.n + 1, sum: a.sum + x, sumSq: a.sumSq + x * x };
      }
      for (let i = 0; i < nB; i++) {
        const x = draw(0.2, 80);
        b = { n: b.n + 1, sum: b.sum + x, sumSq: b.sumSq + x * x };
      }
      const { ci } = diffOfMeans(a, b);
      if (ci!.low <= trueDiff && trueDiff <= ci!.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.97);
  });
  it("rejects malformed sums", () => {
    expect(() => diffOfMeans({ n: -1, sum: 0, sumSq: 0 }, sumsOf([1, 2]))).toThrow(/running sums/);
  });
});
