/**
 * npx tsx bench/analytics.ts [customers=1000000]
 * Simulates a BG/NBD purchase process deterministically (mulberry32), runs the full analysis and
 * times the BG/NBD fit against a vectorised scipy fit of the same grouped likelihood.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze, bgnbdSufficientStats, fitBgNbd, HistoryAccumulator } from "../app/domain/analytics/index";

const N = Number(process.argv[2] ?? 1_000_000);
let seed = 42;
const rnd = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
// Marsaglia-Tsang gamma sampler
function gamma(k: number): number {
  if (k < 1) return gamma(k + 1) * Math.pow(rnd(), 1 / k);
  const d = k - 1 / 3,
    c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      const u1 = rnd(),
        u2 = rnd();
      x = Math.sqrt(-2 * Math.log(u1 || 1e-300)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(rnd()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
const beta = (a: number, b: number) => {
  const x = gamma(a);
  return x / (x + gamma(b));
};

const mem = () => `${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`;
const t0 = performance.now();
const START = 19000,
  SPAN = 1095; // 3 years of days
const acc = new HistoryAccumulator("UTC");
let orders = 0;
const truth = { r: 0.8, alpha: 62, a: 0.6, b: 2.5 }; // days; about 5 orders per customer, as the issue sizes it
for (let c = 0; c < N; c++) {
  const lam = gamma(truth.r) / truth.alpha,
    p = beta(truth.a, truth.b);
  const id = `c${c}`;
  let t = Math.floor(rnd() * SPAN * 0.7);
  const spend = 20 + 60 * gamma(2);
  acc.addDay(id, START + t, spend * (0.5 + rnd()));
  orders++;
  for (;;) {
    t += Math.max(1, Math.ceil(-Math.log(rnd() || 1e-12) / lam));
    if (t >= SPAN) break;
    acc.addDay(id, START + t, spend * (0.5 + rnd()));
    orders++;
    if (rnd() < p) break;
  }
}
const tGen = performance.now();
const h = acc.build();
const tBuild = performance.now();
const res = analyze(h, { asOf: START + SPAN - 1, timeUnit: "week" });
const tAnalyze = performance.now();
console.log(`customers ${N}, orders ${orders}, purchase days ${h.days.length}`);
console.log(
  `generate ${((tGen - t0) / 1000).toFixed(2)}s; build histories ${((tBuild - tGen) / 1000).toFixed(2)}s; analyze ${((tAnalyze - tBuild) / 1000).toFixed(2)}s (RSS ${mem()})`,
);
console.log(
  `aggregation+analysis total ${((tAnalyze - tGen) / 1000).toFixed(2)}s; model r=${res.model?.bgnbd.r.toFixed(4)} alpha=${res.model?.bgnbd.alpha.toFixed(3)} a=${res.model?.bgnbd.a.toFixed(4)} b=${res.model?.bgnbd.b.toFixed(4)}`,
);

// same sufficient statistics for both fitters
const x: number[] = [],
  tx: number[] = [],
  T: number[] = [];
const asOf = START + SPAN - 1;
for (let c = 0; c < h.customerIds.length; c++) {
  const a = h.offsets[c],
    e = h.offsets[c + 1];
  x.push(e - a - 1);
  tx.push(h.days[e - 1] - h.days[a]);
  T.push(asOf - h.days[a]);
}
const st = bgnbdSufficientStats(x, tx, T, 7);
const f0 = performance.now();
const fit = fitBgNbd(st);
const tsFit = (performance.now() - f0) / 1000;
const dir = mkdtempSync(join(tmpdir(), "bench-"));
const file = join(dir, "stats.csv");
let csv = "";
for (let g = 0; g < st.x.length; g++) csv += `${st.x[g]},${st.txDays[g] / 7},${st.TDays[g] / 7},${st.count[g]}\n`;
writeFileSync(file, csv);
const py = execFileSync("python3", [join(import.meta.dirname, "analytics_scipy.py"), file], { encoding: "utf8" })
  .trim()
  .split(" ");
const pyFit = Number(py[0]);
console.log(
  `BG/NBD fit on ${st.x.length} groups: TS ${tsFit.toFixed(3)}s (LL ${fit.logLikelihood.toFixed(3)}), scipy ${pyFit.toFixed(3)}s (LL ${py[5]}, ${py[6]} evals); ratio scipy/TS = ${(pyFit / tsFit).toFixed(1)}x`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (the whole run, incl. generating the data)`);
