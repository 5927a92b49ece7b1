import { AppError } from "../../lib/errors";
import { digamma, lgamma, scaledHyp2f1 } from "./special";
import { minimizeMultiStart, thinGroups } from "./optimize";

/** BG/NBD (Fader, Hardie & Lee 2005) parameters; time in the caller's unit (days or weeks). */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number;
  customers: number;
  groups: number;
  iterations: number;
  converged: boolean;
}

/**
 * Customers grouped by identical (x, t_x, T). Times are integer day counts so that grouping is exact and
 * ln(alpha + t) can be tabulated once per day value per likelihood evaluation instead of per customer;
 * `unitDays` converts to the model's time unit (1 = days, 7 = weeks).
 */
export interface BgNbdStats {
  x: Int32Array;
  txDays: Int32Array;
  TDays: Int32Array;
  count: Float64Array;
  unitDays: number;
  customers: number;
}

/** Groups per-customer (x, t_x, T) in day counts. Arrays are read only up to `n`. */
export function bgnbdSufficientStats(
  x: ArrayLike<number>,
  txDays: ArrayLike<number>,
  TDays: ArrayLike<number>,
  unitDays: number,
  n = x.length,
): BgNbdStats {
  let maxT = 0;
  for (let i = 0; i < n; i++) if (TDays[i] > maxT) maxT = TDays[i];
  const span = maxT + 1;
  // numeric key (x·span + t_x)·span + T stays exact below 2^53 for any realistic history
  const index = new Map<number, number>();
  const gx: number[] = [];
  const gt: number[] = [];
  const gT: number[] = [];
  const gc: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = (x[i] * span + txDays[i]) * span + TDays[i];
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, gx.length);
      gx.push(x[i]);
      gt.push(txDays[i]);
      gT.push(TDays[i]);
      gc.push(1);
    } else gc[at] += 1;
  }
  return {
    x: Int32Array.from(gx),
    txDays: Int32Array.from(gt),
    TDays: Int32Array.from(gT),
    count: Float64Array.from(gc),
    unitDays,
    customers: n,
  };
}

/**
 * Total log-likelihood and its gradient with respect to (ln r, ln alpha, ln a, ln b).
 * Per customer: ln L = A(x) + ln(e^B + [x>0] e^C) with
 *   A = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b),
 *   B = −(r+x) ln(α+T),  C = ln a − ln(b+x−1) − (r+x) ln(α+t_x).
 */
export function bgnbdLogLikelihood(params: BgNbdParams, s: BgNbdStats, grad?: Float64Array): number {
  const { r, alpha, a, b } = params;
  const u = s.unitDays;
  let maxX = 0;
  let maxDay = 0;
  const G = s.x.length;
  for (let g = 0; g < G; g++) {
    if (s.x[g] > maxX) maxX = s.x[g];
    if (s.TDays[g] > maxDay) maxDay = s.TDays[g];
  }
  const lnAlphaDay = new Float64Array(maxDay + 1);
  const invAlphaDay = new Float64Array(maxDay + 1);
  for (let d = 0; d <= maxDay; d++) {
    const v = alpha + d / u;
    lnAlphaDay[d] = Math.log(v);
    invAlphaDay[d] = 1 / v;
  }
  const A = new Float64Array(maxX + 1);
  const lnBx1 = new Float64Array(maxX + 1);
  const Dr = new Float64Array(maxX + 1);
  const Da = new Float64Array(maxX + 1);
  const Db = new Float64Array(maxX + 1);
  const lgr = lgamma(r);
  const lgb = lgamma(b);
  const lgab = lgamma(a + b);
  const lnAlpha = Math.log(alpha);
  const lnA = Math.log(a);
  const psiR = digamma(r);
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  for (let x = 0; x <= maxX; x++) {
    A[x] = lgamma(r + x) - lgr + r * lnAlpha + lgab + lgamma(b + x) - lgb - lgamma(a + b + x);
    lnBx1[x] = x > 0 ? Math.log(b + x - 1) : 0;
    if (grad) {
      const psiABx = digamma(a + b + x);
      Dr[x] = digamma(r + x) - psiR + lnAlpha;
      Da[x] = psiAB - psiABx;
      Db[x] = digamma(b + x) - psiABx - psiB + psiAB;
    }
  }
  let ll = 0;
  let gr = 0;
  let gal = 0;
  let ga = 0;
  let gb = 0;
  for (let g = 0; g < G; g++) {
    const x = s.x[g];
    const c = s.count[g];
    const T = s.TDays[g];
    const rx = r + x;
    const B = -rx * lnAlphaDay[T];
    let li: number;
    let w = 0;
    if (x > 0) {
      const t = s.txDays[g];
      const C = lnA - lnBx1[x] - rx * lnAlphaDay[t];
      if (C > B) {
        const e = Math.exp(B - C);
        li = C + Math.log1p(e);
        w = 1 / (1 + e);
      } else {
        const e = Math.exp(C - B);
        li = B + Math.log1p(e);
        w = e / (1 + e);
      }
      if (grad) {
        const w0 = 1 - w;
        gr += c * (Dr[x] - w0 * lnAlphaDay[T] - w * lnAlphaDay[t]);
        gal += c * (-rx * (w0 * invAlphaDay[T] + w * invAlphaDay[t]));
        ga += c * (Da[x] + w / a);
        gb += c * (Db[x] - w / (b + x - 1));
      }
    } else {
      li = B;
      if (grad) {
        gr += c * (Dr[0] - lnAlphaDay[T]);
        gal += c * (-rx * invAlphaDay[T]);
        ga += c * Da[0];
        gb += c * Db[0];
      }
    }
    ll += c * (A[x] + li);
  }
  if (grad) {
    // r/α term of ∂A/∂α is shared by every customer
    gal += s.customers * (r / alpha);
    grad[0] = gr * r;
    grad[1] = gal * alpha;
    grad[2] = ga * a;
    grad[3] = gb * b;
  }
  return ll;
}

export interface FitOptions {
  /** Fewer customers than this cannot identify four parameters. */
  minCustomers?: number;
  /** Without repeat buyers the dropout process is unidentified. */
  minRepeatCustomers?: number;
  /**
   * Above this many customers the starting points are searched on a thinned sample of about this
   * size before one refinement on all of them (default 50,000; Infinity = always search on all).
   */
  pilotCustomers?: number;
}

/** About `customers / k` customers of the same population, for the pilot search. */
function thinStats(s: BgNbdStats, k: number): BgNbdStats {
  const { index, weight } = thinGroups(s.count, k);
  let customers = 0;
  for (let i = 0; i < weight.length; i++) customers += weight[i];
  return {
    x: Int32Array.from(index, (g) => s.x[g]),
    txDays: Int32Array.from(index, (g) => s.txDays[g]),
    TDays: Int32Array.from(index, (g) => s.TDays[g]),
    count: weight,
    unitDays: s.unitDays,
    customers,
  };
}

/** Maximum-likelihood fit. Throws AppError("INSUFFICIENT_DATA") when the data cannot support it. */
export function fitBgNbd(s: BgNbdStats, opts: FitOptions = {}): BgNbdFit {
  const minCustomers = opts.minCustomers ?? 30;
  const minRepeat = opts.minRepeatCustomers ?? 10;
  let repeat = 0;
  let sumT = 0;
  for (let g = 0; g < s.x.length; g++) {
    if (s.x[g] > 0) repeat += s.count[g];
    sumT += (s.count[g] * s.TDays[g]) / s.unitDays;
  }
  if (s.customers < minCustomers || repeat < minRepeat) {
    throw new AppError(
      "INSUFFICIENT_DATA",
      `BG/NBD needs at least ${minCustomers} customers and ${minRepeat} repeat customers; have ${s.customers} and ${repeat}`,
      { details: { customers: s.customers, repeatCustomers: repeat } },
    );
  }
  if (sumT <= 0) throw new AppError("INSUFFICIENT_DATA", "BG/NBD needs customers observed for more than one day");
  const n = s.customers;
  const gTmp = new Float64Array(4);
  // mean negative log-likelihood per customer keeps the gradient tolerance independent of data size
  const objectiveOf =
    (st: BgNbdStats) =>
    (th: Float64Array, grad: Float64Array): number => {
      for (let i = 0; i < 4; i++) if (!(Math.abs(th[i]) < 18)) return Infinity;
      const p = { r: Math.exp(th[0]), alpha: Math.exp(th[1]), a: Math.exp(th[2]), b: Math.exp(th[3]) };
      const ll = bgnbdLogLikelihood(p, st, gTmp);
      if (!Number.isFinite(ll)) return Infinity;
      for (let i = 0; i < 4; i++) grad[i] = -gTmp[i] / st.customers;
      return -ll / st.customers;
    };
  const meanT = Math.max(sumT / n, 1e-3);
  const starts = [
    [0, Math.log(meanT), 0, 0],
    [Math.log(0.5), Math.log(meanT / 4), Math.log(0.5), Math.log(2)],
    [Math.log(2), Math.log(meanT * 4), Math.log(2), Math.log(8)],
  ];
  const pilotSize = opts.pilotCustomers ?? 50_000;
  const pilot = n > 2 * pilotSize ? thinStats(s, n / pilotSize) : null;
  const best = minimizeMultiStart(objectiveOf(s), starts, { maxIter: 400, gradTol: 1e-9, pilot: pilot ? objectiveOf(pilot) : null });
  if (!best) throw new AppError("INSUFFICIENT_DATA", "BG/NBD likelihood could not be evaluated on this data");
  const [r, alpha, a, b] = Array.from(best.x, Math.exp);
  if (best.x.some((v) => Math.abs(v) > 15)) {
    throw new AppError(
      "INSUFFICIENT_DATA",
      "BG/NBD fit ran to a parameter boundary; the purchase history is too thin or too regular for the model",
      { details: { r, alpha, a, b } },
    );
  }
  return {
    r,
    alpha,
    a,
    b,
    logLikelihood: -best.f * n,
    customers: n,
    groups: s.x.length,
    iterations: best.iterations,
    converged: best.converged,
  };
}

function logOddsDead(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return -Infinity;
  return Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
}

/** P(customer still alive at T | x, t_x, T). */
export function bgnbdPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  const lo = logOddsDead(p, x, tx, T);
  return lo === -Infinity ? 1 : 1 / (1 + Math.exp(lo));
}

/**
 * P(no purchase in (T, T+t] | x, t_x, T). A BG/NBD customer can only drop out right after a purchase, so one
 * alive at T stays alive until the next purchase: P = 1 − P(alive) + P(alive)·((α+T)/(α+T+t))^{r+x}.
 */
export function bgnbdProbNoPurchase(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 1;
  const alive = bgnbdPAlive(p, x, tx, T);
  return 1 - alive + alive * Math.exp((p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + T + t)));
}

/** E[purchases in (T, T+t] | x, t_x, T] (FHL 2005 eq. 10), stable for large x. */
export function bgnbdExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const z = t / (alpha + T + t);
  const scaled = scaledHyp2f1(r + x, b + x, a + b + x - 1, z);
  const lo = logOddsDead(p, x, tx, T);
  const pAlive = lo === -Infinity ? 1 : 1 / (1 + Math.exp(lo));
  // (a+b+x−1)/(a−1)·(1 − scaled) has a removable singularity at a = 1; nudge away from it
  const am1 = Math.abs(a - 1) < 1e-9 ? 1e-9 : a - 1;
  const v = ((a + b + x - 1) / am1) * (1 - scaled) * pAlive;
  return v > 0 ? v : 0;
}

/** E[purchases in (0, t]] for a newly acquired customer, used to check the fit against the data. */
export function bgnbdExpectedPurchasesNew(p: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + t);
  if (z === 0) return 0;
  const am1 = Math.abs(a - 1) < 1e-9 ? 1e-9 : a - 1;
  // 2F1(r, b; a+b−1; z) = scaled / (1−z)^r, and (α/(α+t))^r = (1−z)^r cancels it
  return ((a + b - 1) / am1) * (1 - scaledHyp2f1(r, b, a + b - 1, z));
}

/**
 * Median waiting time to the next purchase for a customer who is alive, integrating the posterior
 * Gamma(r+x, α+T) over the exponential waiting time: P(no purchase in s) = ((α+T)/(α+T+s))^{r+x}.
 */
export function bgnbdMedianTimeToNext(p: BgNbdParams, x: number, T: number): number {
  return (p.alpha + T) * (Math.pow(2, 1 / (p.r + x)) - 1);
}
