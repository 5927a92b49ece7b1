// Offer experiments (ADR 099): how often a winner is named in A/A/A experiments looked at daily, with the
// always-valid Bonferroni-split intervals and with a naive fixed 95% interval; and the plan's MDE for three sizes.
// Run: npx tsx bench/experiment-peeking.ts
import { measureExperiment, planExperiment, type ArmOutcome } from "../app/domain/campaigns/experiment";
import { mulberry32, diffOfProportions } from "../app/domain/stats";
const def = { metric: "reactivation" as const, revenueScale: 2, rateScale: 0.05 };
const rnd = mulberry32(11);
let seqFalse = 0,
  fixedFalse = 0;
const sims = 1000;
for (let s = 0; s < sims; s++) {
  const ns = [0, 0, 0],
    xs = [0, 0, 0];
  let h = { n: 0, x: 0 };
  let seq = false,
    fixed = false;
  for (let d = 0; d < 30; d++) {
    for (let i = 0; i < 3; i++)
      for (let k = 0; k < 30; k++) {
        ns[i]++;
        if (rnd() < 0.08) xs[i]++;
      }
    for (let k = 0; k < 10; k++) h = { n: h.n + 1, x: h.x + (rnd() < 0.08 ? 1 : 0) };
    const arms: ArmOutcome[] = (["A", "B", "C"] as const).map((key, i) => ({
      key,
      redemptions: 0,
      n: ns[i],
      reactivated: xs[i],
      revenueSum: 0,
      revenueSumSq: 0,
    }));
    if (measureExperiment(def, arms, { n: h.n, reactivated: h.x, revenueSum: 0, revenueSumSq: 0 }).best) seq = true;
    // naive: leader beats both others with an unadjusted fixed 95% interval, looked at daily
    const order = [0, 1, 2].sort((a, b) => xs[b] / ns[b] - xs[a] / ns[a]);
    const l = order[0];
    if (order.slice(1).every((o) => (diffOfProportions({ x: xs[l], n: ns[l] }, { x: xs[o], n: ns[o] }).ci?.low ?? 0) > 0)) fixed = true;
  }
  if (seq) seqFalse++;
  if (fixed) fixedFalse++;
}
console.log(
  `A/A/A, 3 arms x 30/day + holdout 10/day, rate 8%, 30 daily looks, ${sims} sims: false winner always-valid ${((seqFalse / sims) * 100).toFixed(1)}%, naive fixed 95% ${((fixedFalse / sims) * 100).toFixed(1)}%`,
);
for (const [t, ho] of [
  [900, 100],
  [3000, 330],
  [9000, 1000],
]) {
  const p = planExperiment({ treated: t, holdout: ho, arms: 3, baselineRate: 0.05 });
  console.log(
    `plan treated ${t} holdout ${ho} 3 arms base 5%: perArm ${p.perArm} MDE vs holdout ${(p.mdeVsHoldout! * 100).toFixed(1)} pts, between arms ${(p.mdeBetweenArms! * 100).toFixed(1)} pts, per arm for 3 pts ${p.perArmNeeded}`,
  );
}
