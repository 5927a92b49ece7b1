/**
 * Special functions for the likelihoods. Own implementations rather than the Lanczos one in ../stats
 * because the fits also need digamma (analytic gradients) and must be exact to ~1e-13 so that the
 * published CDNOW log-likelihood is reproduced to the last printed digit.
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0: recurrence up to x >= 10, then the Stirling series (error < 1e-15 there). */
export function lgamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  let shift = 0;
  let prod = 1;
  while (x < 10) {
    prod *= x;
    x += 1;
    // keep the running product finite for tiny x
    if (prod > 1e280 || prod < 1e-280) {
      shift += Math.log(prod);
      prod = 1;
    }
  }
  shift += Math.log(prod);
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + series - shift;
}

/** ψ(x) = d/dx ln Γ(x) for x > 0. */
export function digamma(x: number): number {
  if (!(x > 0)) return NaN;
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return acc + Math.log(x) - 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))));
}

/** ln(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * (1-z)^a · 2F1(a, b; c; z) for 0 <= z < 1 and a, b, c > 0 — the combination the BG/NBD conditional
 * expectation needs. Evaluated as a product on purpose: with hundreds of orders a = r + x is large, the
 * bare 2F1 overflows while the product stays in [0, 1]-ish.
 *  - z <= 1/3: Pfaff transform, (1-z)^a 2F1(a,b;c;z) = 2F1(a, c-b; c; z/(z-1)); |w| <= 1/2 so the
 *    alternating series converges geometrically and never grows.
 *  - otherwise: the direct series has positive terms that can peak far above 1e308 before decaying,
 *    so it is summed in log space with the prefactor folded in.
 */
export function scaledHyp2f1(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 1;
  if (!(z > 0 && z < 1)) throw new RangeError(`scaledHyp2f1: z=${z} outside [0,1)`);
  if (z <= 1 / 3) {
    const w = z / (z - 1);
    const b2 = c - b;
    let term = 1;
    let sum = 1;
    for (let k = 0; k < 10_000; k++) {
      term *= (((a + k) * (b2 + k)) / ((c + k) * (k + 1))) * w;
      sum += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    }
    return sum;
  }
  // log-space positive series: logTerm_k, running log-sum with rescaling
  const logPre = a * Math.log1p(-z);
  const lz = Math.log(z);
  let logTerm = 0;
  let maxLog = 0;
  let sumScaled = 1; // sum / e^maxLog
  for (let k = 0; k < 1_000_000; k++) {
    logTerm += Math.log(((a + k) * (b + k)) / ((c + k) * (k + 1))) + lz;
    if (logTerm > maxLog) {
      sumScaled = sumScaled * Math.exp(maxLog - logTerm) + 1;
      maxLog = logTerm;
    } else {
      const rel = Math.exp(logTerm - maxLog);
      sumScaled += rel;
      // past the peak the ratio is < 1 and shrinking toward z, so a tiny term bounds the tail
      if (rel < 1e-17 * sumScaled && k > 2) break;
    }
  }
  return Math.exp(logPre + maxLog + Math.log(sumScaled));
}
