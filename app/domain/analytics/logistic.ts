/**
 * L2-regularised logistic regression by Newton-Raphson (IRLS): deterministic, a handful of iterations,
 * features standardised internally so the penalty treats them alike.
 */
export interface LogisticModel {
  /** Weights on standardised features; last entry is the intercept. */
  weights: number[];
  means: number[];
  scales: number[];
}

export function fitLogistic(
  X: ArrayLike<number>[],
  y: ArrayLike<boolean | number>,
  opts: { l2?: number; maxIter?: number } = {},
): LogisticModel {
  const n = X.length;
  const k = n > 0 ? X[0].length : 0;
  const l2 = opts.l2 ?? 1;
  const means = new Array<number>(k).fill(0);
  const scales = new Array<number>(k).fill(0);
  for (const row of X) for (let j = 0; j < k; j++) means[j] += row[j] / n;
  for (const row of X) for (let j = 0; j < k; j++) scales[j] += (row[j] - means[j]) ** 2 / n;
  for (let j = 0; j < k; j++) scales[j] = Math.sqrt(scales[j]) || 1;
  const d = k + 1;
  const w = new Float64Array(d);
  const z = new Float64Array(d);
  for (let it = 0; it < (opts.maxIter ?? 50); it++) {
    const g = new Float64Array(d);
    const Hm = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const row = X[i];
      for (let j = 0; j < k; j++) z[j] = (row[j] - means[j]) / scales[j];
      z[k] = 1;
      let eta = 0;
      for (let j = 0; j < d; j++) eta += w[j] * z[j];
      const p = 1 / (1 + Math.exp(-eta));
      // numeric labels may be fractional (soft targets, e.g. a model's probability); booleans are 0/1
      const yi = y[i];
      const r = (typeof yi === "number" ? yi : yi ? 1 : 0) - p;
      const s = p * (1 - p);
      for (let a = 0; a < d; a++) {
        g[a] += r * z[a];
        for (let b = 0; b <= a; b++) Hm[a * d + b] += s * z[a] * z[b];
      }
    }
    for (let a = 0; a < k; a++) {
      g[a] -= l2 * w[a];
      Hm[a * d + a] += l2;
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) Hm[b * d + a] = Hm[a * d + b];
    Hm[k * d + k] += 1e-9;
    const step = solve(Hm, g, d);
    let maxStep = 0;
    for (let j = 0; j < d; j++) {
      w[j] += step[j];
      maxStep = Math.max(maxStep, Math.abs(step[j]));
    }
    if (maxStep < 1e-10) break;
  }
  return { weights: Array.from(w), means, scales };
}

export function predictLogistic(m: LogisticModel, row: ArrayLike<number>): number {
  const k = m.means.length;
  let eta = m.weights[k];
  for (let j = 0; j < k; j++) eta += (m.weights[j] * (row[j] - m.means[j])) / m.scales[j];
  return 1 / (1 + Math.exp(-eta));
}

/** Gaussian elimination with partial pivoting on a small dense system. */
function solve(A: Float64Array, bIn: Float64Array, d: number): Float64Array {
  const M = Float64Array.from(A);
  const b = Float64Array.from(bIn);
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r * d + c]) > Math.abs(M[piv * d + c])) piv = r;
    if (piv !== c) {
      for (let j = 0; j < d; j++) [M[c * d + j], M[piv * d + j]] = [M[piv * d + j], M[c * d + j]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    const diag = M[c * d + c] || 1e-12;
    for (let r = c + 1; r < d; r++) {
      const f = M[r * d + c] / diag;
      if (f === 0) continue;
      for (let j = c; j < d; j++) M[r * d + j] -= f * M[c * d + j];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < d; j++) s -= M[r * d + j] * x[j];
    x[r] = s / (M[r * d + r] || 1e-12);
  }
  return x;
}
