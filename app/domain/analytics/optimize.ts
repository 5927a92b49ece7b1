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
}

export function minimizeBfgs(
  fn: Objective,
  x0: ArrayLike<number>,
  opts: { maxIter?: number; gradTol?: number } = {},
): MinimizeResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 500;
  const gradTol = opts.gradTol ?? 1e-7;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fn(x, g);
  if (!Number.isFinite(f)) return { x, f, iterations: 0, converged: false, gradNorm: NaN };
  // inverse Hessian approximation, row-major
  const H = new Float64Array(n * n);
  const resetH = () => {
    H.fill(0);
    for (let i = 0; i < n; i++) H[i * n + i] = 1;
  };
  resetH();
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
  return { x, f, iterations: iter, converged: gn <= gradTol * 1e3, gradNorm: gn };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
