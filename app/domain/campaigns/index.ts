export { fnv1a64, fmix64, hash64, defaultUnitHasher, base32Of, type UnitHasher } from "./hash";
export { holdoutScore, isHoldout, assignHoldout, discountCodeFor } from "./holdout";
export {
  campaignSettingsSchema,
  parseCampaignSettings,
  defaultCampaignSettings,
  discountEndsAt,
  codeEndsAt,
  describeDiscount,
  type CampaignSettings,
  type CampaignSettingsInput,
  type DiscountSettings,
  type GuardrailSettings,
} from "./settings";
export {
  buildPlan,
  silenceSignalOf,
  SEGMENTS,
  type Segment,
  type SegmentCounts,
  type PlanCounts,
  type PlanRow,
  type PlanOptions,
} from "./plan";
export {
  touchSchedule,
  nextTouchDecision,
  type TouchStep,
  type CampaignStatus,
  type CustomerTouchState,
  type TouchDecision,
  type TouchDecisionInput,
  type ExitReason,
  type SkipReason,
  type HoldReason,
  type DeferReason,
} from "./schedule";
export {
  VIP_TRANSITIONS,
  createVipTask,
  canTransition,
  transitionVipTask,
  markContacted,
  markResponded,
  escalate,
  markWonBack,
  escalationDueAt,
  autoEscalate,
  type VipTask,
  type VipTaskStatus,
  type VipTaskEvent,
} from "./vip-tasks";
export {
  suggestPerks,
  suggestPerk,
  checkInScript,
  type PurchaseLine,
  type PerkKind,
  type PerkSuggestion,
  type CheckInScriptInput,
} from "./perks";
export { evaluateGuardrails, type DeliveryCounts, type GuardrailReason, type GuardrailResult } from "./guardrails";
export {
  measureCampaign,
  cumulativeReactivation,
  type ArmTotals,
  type MeasureInput,
  type CampaignMeasurement,
  type ReactivationSeries,
  type CumulativePoint,
} from "./measurement";
