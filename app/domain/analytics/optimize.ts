/**
 * Deterministic quasi-Newton minimiser (BFGS with Armijo backtracking) for smooth objectives with
 * analytic gradients. Parameters are optimised on the log scale by the callers so the search is
 * unconstrained; an objective may return Infinity to reject a region and the line search backs off.
 */
export interface Objective {
  /** Returns f(x) and writes ∇f(x) into grad. */
  (x: Float64Array, grad: Float64Array): number;
}

export interface MinimizeResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
  gradNorm: number;
  /** The final inverse-Hessian approximation (row-major), to warm-start a related problem. */
  invHessian: Float64Array;
}

export function minimizeBfgs(
  fn: Objective,
  x0: ArrayLike<number>,
  opts: { maxIter?: number; gradTol?: number; invHessian?: Float64Array } = {},
): MinimizeResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 500;
  const gradTol = opts.gradTol ?? 1e-7;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fn(x, g);
  // inverse Hessian approximation, row-major
  const H = new Float64Array(n * n);
  const resetH = () => {
    H.fill(0);
    for (let i = 0; i < n; i++) H[i * n + i] = 1;
  };
  if (!Number.isFinite(f)) return { x, f, iterations: 0, converged: false, gradNorm: NaN, invHessian: H };
  if (opts.invHessian?.length === n * n) H.set(opts.invHessian);
  else resetH();
  const p = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  let iter = 0;
  let gn = norm(g);
  for (; iter < maxIter && gn > gradTol; iter++) {
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc -= H[i * n + j] * g[j];
      p[i] = acc;
    }
    let slope = dot(p, g);
    if (!(slope < 0)) {
      resetH();
      for (let i = 0; i < n; i++) p[i] = -g[i];
      slope = -dot(g, g);
    }
    // cap the step so exp(log-param) cannot jump by more than e^5 in one go
    let pmax = 0;
    for (let i = 0; i < n; i++) pmax = Math.max(pmax, Math.abs(p[i]));
    let step = pmax > 5 ? 5 / pmax : 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * p[i];
      fNew = fn(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      // Already optimal to within rounding: the decrease Armijo asks for is below the objective's
      // floating-point noise (a sum over a million customers), so halving further only burns evaluations.
      if (gn <= gradTol * 1e3 && Number.isFinite(fNew) && Math.abs(fNew - f) <= 1e-12 * Math.max(1, Math.abs(f))) break;
      step *= 0.5;
    }
    if (!accepted) break;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    const fOld = f;
    [x, g] = [Float64Array.from(xNew), Float64Array.from(gNew)];
    f = fNew;
    gn = norm(g);
    if (sy > 1e-12) {
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += H[i * n + j] * y[j];
        Hy[i] = acc;
      }
      const yHy = dot(y, Hy);
      const rho = 1 / sy;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          H[i * n + j] += (1 + yHy * rho) * rho * s[i] * s[j] - rho * (Hy[i] * s[j] + s[i] * Hy[j]);
        }
      }
    }
    if (Math.abs(fOld - f) <= 1e-15 * Math.max(1, Math.abs(f)) && gn < gradTol * 1e3) break;
  }
  return { x, f, iterations: iter, converged: gn <= gradTol * 1e3, gradNorm: gn, invHessian: H };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/**
 * Multi-start minimisation that stays cheap on large data: the starting points are searched on a
 * small `pilot` objective (a thinned sample of the same data, same per-customer scale), and only
 * the best pilot optimum is refined on the full objective. The refined point is the full-data
 * optimum to the same gradient tolerance; the sample only chooses the basin. Without a pilot, or
 * when the refinement fails, every start runs on the full objective.
 */
export function minimizeMultiStart(
  full: Objective,
  starts: ArrayLike<number>[],
  opts: { maxIter?: number; gradTol?: number; pilot?: Objective | null } = {},
): MinimizeResult | null {
  const bestOf = (fn: Objective, from: ArrayLike<number>[], invHessian?: Float64Array) => {
    let best: MinimizeResult | null = null;
    for (const st of from) {
      const res = minimizeBfgs(fn, st, { maxIter: opts.maxIter, gradTol: opts.gradTol, invHessian });
      if (Number.isFinite(res.f) && (!best || res.f < best.f)) best = res;
    }
    return best;
  };
  if (opts.pilot) {
    const seed = bestOf(opts.pilot, starts);
    if (seed) {
      // Same per-customer scale on the sample: its curvature is a good first guess for the full data.
      const refined = bestOf(full, [seed.x], seed.invHessian);
      if (refined?.converged) return refined;
    }
  }
  return bestOf(full, starts);
}

/**
 * Deterministic thinning of weighted groups to about `1/k` of their total weight: group g keeps
 * floor((count_g + u_g)/k) with a pseudo-random offset u_g in [0, k), so each group's expected
 * weight is exactly count_g/k. Returns the kept group indices and their new weights.
 */
export function thinGroups(count: ArrayLike<number>, k: number): { index: Int32Array; weight: Float64Array } {
  const idx: number[] = [];
  const w: number[] = [];
  let h = 0x9e3779b9;
  for (let g = 0; g < count.length; g++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + g;
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39) ^ (h >>> 15);
    const u = ((h >>> 0) / 4294967296) * k;
    const keep = Math.floor((count[g] + u) / k);
    if (keep > 0) {
      idx.push(g);
      w.push(keep);
    }
  }
  return { index: Int32Array.from(idx), weight: Float64Array.from(w) };
}
