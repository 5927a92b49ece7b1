export { normalCdf, normalQuantile, zForConfidence } from "./normal";
export { studentTCdf, studentTQuantile, regularizedBeta, logGamma } from "./student-t";
export {
  wilsonInterval,
  diffOfProportions,
  minimumDetectableLift,
  type Interval,
  type ProportionSample,
  type ProportionDiff,
  type MdeInput,
} from "./proportions";
export { emptySums, addObservation, mergeSums, sumsOf, meanOf, varianceOf, diffOfMeans, type RunningSums, type MeanDiff } from "./means";
export { mulberry32 } from "./prng";
export { alwaysValidInterval, sequentialDiffOfProportions, type SequentialInterval } from "./sequential";
