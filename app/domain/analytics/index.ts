export { DEFAULT_SETTINGS, resolveSettings, type Settings, type SettingsInput } from "./settings";
export { HistoryAccumulator, OrderedHistoryBuilder, buildHistories, type OrderFact, type PurchaseHistories } from "./histories";
export { DAY_MS, localDay, dayFromIso, isoFromDay, assertTimeZone } from "./dates";
export {
  analyze,
  analyzeInSteps,
  summarizeCustomer,
  lapseClass,
  isOverdue,
  vipThreshold,
  historicalNorm,
  riskSummary,
  churnRisk,
  type AnalysisResult,
  type AnalysisSteps,
  type AnalyzeOptions,
  type CustomerAnalysis,
  type CustomerSummary,
  type LapseClass,
  type ModelResult,
  type RiskSummary,
  type TimeUnit,
  type ChurnModel,
  type ReliabilityBin,
} from "./analyze";
export {
  fitBgNbd,
  bgnbdSufficientStats,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  bgnbdExpectedPurchases,
  bgnbdExpectedPurchasesNew,
  bgnbdMedianTimeToNext,
  bgnbdProbNoPurchase,
  type BgNbdParams,
  type BgNbdFit,
  type BgNbdStats,
} from "./bgnbd";
export { fitGammaGamma, gammaGammaLogLikelihood, gammaGammaExpectedValue, type GammaGammaParams, type GammaGammaFit } from "./gammagamma";
export { auc } from "./auc";
export { fitLogistic, predictLogistic, type LogisticModel } from "./logistic";
export { lgamma, digamma, scaledHyp2f1 } from "./special";
export {
  SignalsBuilder,
  SIGNAL_KINDS,
  CLICK_WINDOW_DAYS,
  signalFeatures,
  presentSignals,
  type CustomerSignals,
  type SignalEvents,
  type SignalKind,
} from "./signals";
