import { describe, expect, it } from "vitest";
import { bgnbdSufficientStats, fitBgNbd } from "./bgnbd";
import { fitGammaGamma, gammaGammaLogLikelihood } from "./gammagamma";
import { minimizeBfgs, thinGroups } from "./optimize";

// Deterministic BG/NBD + Gamma-Gamma population (mulberry32, Marsaglia-Tsang).
function population(n: number, seed = 7) {
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gamma = (k: number): number => {
    if (k < 1) return gamma(k + 1) * Math.pow(rnd(), 1 / k);
    const d = k - 1 / 3,
      c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = Math.sqrt(-2 * Math.log(rnd() || 1e-300)) * Math.cos(2 * Math.PI * rnd());
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (Math.log(rnd()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const x: number[] = [],
    tx: number[] = [],
    T: number[] = [],
    gx: number[] = [],
    gm: number[] = [];
  for (let i = 0; i < n; i++) {
    const lam = gamma(0.8) / 30,
      ga = gamma(0.6),
      p = ga / (ga + gamma(2.5));
    const first = Math.floor(rnd() * 700);
    let t = first,
      last = first,
      k = 0,
      spend = 0;
    const mean = 40 * gamma(3);
    for (;;) {
      t += Math.max(1, Math.ceil(-Math.log(rnd() || 1e-12) / lam));
      if (t >= 1000) break;
      k++;
      last = t;
      spend += mean * (0.5 + rnd());
      if (rnd() < p) break;
    }
    x.push(k);
    tx.push(last - first);
    T.push(999 - first);
    if (k > 0) {
      gx.push(k);
      gm.push(spend / k);
    }
  }
  return { x, tx, T, gx: Int32Array.from(gx), gm: Float64Array.from(gm) };
}

describe("pilot search on large data", () => {
  const pop = population(60_000);

  it("BG/NBD: starts searched on a thinned sample, refined on all, give the full multi-start optimum", () => {
    const stats = bgnbdSufficientStats(pop.x, pop.tx, pop.T, 7);
    const full = fitBgNbd(stats, { pilotCustomers: Infinity });
    const piloted = fitBgNbd(stats, { pilotCustomers: 5_000 });
    for (const k of ["r", "alpha", "a", "b"] as const) expect(piloted[k]).toBeCloseTo(full[k], 5);
    expect(piloted.logLikelihood).toBeCloseTo(full.logLikelihood, 4);
    expect(piloted.converged).toBe(true);
  });

  it("Gamma-Gamma: the same", () => {
    const full = fitGammaGamma(pop.gx, pop.gm, { pilotCustomers: Infinity });
    const piloted = fitGammaGamma(pop.gx, pop.gm, { pilotCustomers: 2_000 });
    for (const k of ["p", "q", "v"] as const) expect(piloted[k] / full[k]).toBeCloseTo(1, 5);
  });

  it("Gamma-Gamma on 671,855 repeat customers: the refinement from the pilot optimum converges in a few steps", () => {
    // The size of the 1M-customer bench shop's repeat buyers (ADR 096). With plain sums, rounding noise
    // in the mean objective outweighed the decrease the line search asks for near the optimum: BFGS
    // ran its 400 iterations (13,117 evaluations, ~150 s) at a gradient norm of 2.4e-6 and the fit fell
    // back to full multi-start. Kahan sums in gammaGammaLogLikelihood: 2 iterations.
    let s = 12345;
    const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const n = 671_855;
    const x = new Int32Array(n);
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = 1 + Math.floor(-Math.log(r()) * 2);
      const nu = 20 + 60 * r();
      let t = 0;
      for (let k = 0; k < x[i]!; k++) t += Math.round(nu * (0.5 + r()) * 100) / 100;
      m[i] = t / x[i]!;
    }
    const g3 = new Float64Array(3);
    const objective = (xs: Int32Array, ms: Float64Array) => (th: Float64Array, grad: Float64Array) => {
      const ll = gammaGammaLogLikelihood({ p: Math.exp(th[0]!), q: Math.exp(th[1]!), v: Math.exp(th[2]!) }, xs, ms, g3);
      for (let i = 0; i < 3; i++) grad[i] = -g3[i]! / xs.length;
      return -ll / xs.length;
    };
    const k = Math.floor(n / 50_000);
    const px = new Int32Array(Math.ceil(n / k));
    const pm = new Float64Array(px.length);
    for (let i = 0, j = 0; i < n; i += k, j++) {
      px[j] = x[i]!;
      pm[j] = m[i]!;
    }
    let meanM = 0;
    for (let i = 0; i < n; i++) meanM += m[i]! / n;
    const seed = minimizeBfgs(objective(px, pm), [0, Math.log(2), Math.log(meanM)], { maxIter: 400, gradTol: 1e-9 });
    const refined = minimizeBfgs(objective(x, m), seed.x, { maxIter: 400, gradTol: 1e-9, invHessian: seed.invHessian });
    expect(refined.converged).toBe(true);
    expect(refined.iterations).toBeLessThan(50);
  });

  it("thinning keeps each group's expected weight and about 1/k of the total", () => {
    const count = Array.from({ length: 20_000 }, (_, i) => 1 + (i % 7));
    const total = count.reduce((a, b) => a + b, 0);
    const { index, weight } = thinGroups(count, 10);
    const kept = weight.reduce((a, b) => a + b, 0);
    expect(Math.abs(kept - total / 10) / (total / 10)).toBeLessThan(0.03);
    expect(index.every((g, i) => weight[i]! <= Math.ceil(count[g]! / 10))).toBe(true);
  });
});
