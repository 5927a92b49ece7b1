// External marketing activities and their engagement: how a marketing app's campaigns show in the
// merchant's Shopify Marketing reports. Behaviour follows live 2026-04 recordings in
// airhorns/shopify-draft-proxy, fixtures/conformance/harry-test-heelo.myshopify.com/2026-04/marketing/
// (file names in the comments below); both mutations need `write_marketing_events`.
import { GraphQLError } from "graphql";
import type { EmulatorModule, RequestContext } from "../engine";
import { gid, iso, type ShopState } from "../state";

type UserError = { __typename: "MarketingActivityUserError"; field: string[] | null; message: string; code: string | null };
const userError = (field: string[] | null, message: string, code: string | null): UserError => ({
  __typename: "MarketingActivityUserError",
  field,
  message,
  code,
});

interface Utm {
  campaign: string;
  source: string;
  medium: string;
}

export interface ActivityRec {
  id: string;
  eventId: string;
  remoteId: string;
  title: string;
  status: string;
  remoteUrl: string;
  tactic: string;
  marketingChannelType: string;
  utm: Utm | null;
  urlParameterValue: string | null;
  currencyCode: string | null;
  createdAt: string;
  updatedAt: string;
  start: string | null;
  end: string | null;
  scheduledEnd: string | null;
}

export interface EngagementRec {
  activityId: string;
  occurredOn: string;
  input: Record<string, unknown>;
}

let nextId = 198_000_000_000;

export const activitiesOf = (shop: ShopState) => shop.store("marketingActivities", () => [] as ActivityRec[]);
export const engagementsOf = (shop: ShopState) => shop.store("marketingEngagements", () => [] as EngagementRec[]);

/** marketing-activity-create-external-default-status.json (status labels as Shopify shows them). */
const STATUS_LABELS: Record<string, string> = {
  ACTIVE: "Sending",
  INACTIVE: "Sent",
  PAUSED: "Paused",
  SCHEDULED: "Scheduled",
  DELETED_EXTERNALLY: "Deleted externally",
  UNDEFINED: "Undefined",
};

/**
 * marketing-external-activity-url-scheme-validation.json: a URL without a host is refused while the
 * variables are read (INVALID_VARIABLE, "Invalid url '…', missing host"); one with a host but another
 * scheme by the field (INVALID_FIELD_ARGUMENTS, "The URL scheme must be one of the following:
 * https,http", data null). Both are top-level errors, not userErrors.
 */
function checkUrl(field: string, value: unknown, inputType: string) {
  if (value == null) return;
  const s = String(value);
  let url: URL | null = null;
  try {
    url = new URL(s);
  } catch {
    url = null;
  }
  if (!url || !url.host)
    throw new GraphQLError(
      `Variable $input of type ${inputType}! was provided invalid value for ${field} (Invalid url '${s}', missing host)`,
      {
        extensions: { code: "INVALID_VARIABLE" },
      },
    );
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new GraphQLError("The URL scheme must be one of the following: https,http", { extensions: { code: "INVALID_FIELD_ARGUMENTS" } });
}

function view(a: ActivityRec) {
  return {
    __typename: "MarketingActivity",
    id: a.id,
    title: a.title,
    status: a.status,
    statusLabel: STATUS_LABELS[a.status] ?? "Undefined",
    tactic: a.tactic,
    marketingChannelType: a.marketingChannelType,
    isExternal: true,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    utmParameters: a.utm ? { __typename: "UTMParameters", ...a.utm } : null,
    urlParameterValue: a.urlParameterValue,
    // marketing-engagement-lifecycle.json: activity-level engagement writes do not fill adSpend.
    adSpend: null,
    marketingEvent: {
      __typename: "MarketingEvent",
      id: a.eventId,
      remoteId: a.remoteId,
      channelHandle: null,
      manageUrl: a.remoteUrl,
      previewUrl: null,
      startedAt: a.start ?? a.createdAt,
      endedAt: a.end,
      scheduledToEndAt: a.scheduledEnd,
      utmCampaign: a.utm?.campaign ?? null,
      utmSource: a.utm?.source ?? null,
      utmMedium: a.utm?.medium ?? null,
    },
  };
}

type UpsertInput = {
  title: string;
  remoteId: string;
  remoteUrl: string;
  status: string;
  tactic: string;
  marketingChannelType: string;
  utm?: Utm | null;
  urlParameterValue?: string | null;
  budget?: { total?: { currencyCode?: string } } | null;
  adSpend?: { currencyCode?: string } | null;
  start?: string | null;
  end?: string | null;
  scheduledEnd?: string | null;
  channelHandle?: string | null;
  hierarchyLevel?: string | null;
};

function upsert(ctx: RequestContext, input: UpsertInput) {
  const payload = (marketingActivity: unknown, userErrors: UserError[]) => ({
    __typename: "MarketingActivityUpsertExternalPayload",
    marketingActivity,
    userErrors,
  });
  checkUrl("remoteUrl", input.remoteUrl, "MarketingActivityUpsertExternalInput");
  // The conformance shop had no recognised channel handle: every one tried was refused.
  if (input.channelHandle != null)
    return payload(null, [
      userError(
        ["input"],
        "The channel handle is not recognized. Please contact your partner manager for more information.",
        "INVALID_CHANNEL_HANDLE",
      ),
    ]);
  const budgetCurrency = input.budget?.total?.currencyCode;
  const spendCurrency = input.adSpend?.currencyCode;
  if (budgetCurrency && spendCurrency && budgetCurrency !== spendCurrency)
    return payload(null, [userError(["input"], "Currency code is not matching between budget and ad spend", null)]);
  const list = activitiesOf(ctx.shop);
  const existing = list.find((a) => a.remoteId === input.remoteId);
  const at = iso(ctx.now());
  if (existing) {
    const sameUtm = (u: Utm | null | undefined) =>
      !u || (existing.utm && existing.utm.campaign === u.campaign && existing.utm.source === u.source && existing.utm.medium === u.medium);
    if (!sameUtm(input.utm)) return payload(null, [userError(["input"], "UTM parameters cannot be modified.", "IMMUTABLE_UTM_PARAMETERS")]);
    Object.assign(existing, {
      title: input.title,
      status: input.status,
      remoteUrl: input.remoteUrl,
      tactic: input.tactic,
      marketingChannelType: input.marketingChannelType,
      start: input.start ?? existing.start,
      end: input.end ?? existing.end,
      scheduledEnd: input.scheduledEnd ?? existing.scheduledEnd,
      updatedAt: at,
    });
    return payload(view(existing), []);
  }
  if (!input.utm && !input.urlParameterValue && !input.hierarchyLevel)
    return payload(null, [
      userError(
        ["input"],
        "Non-hierarchical marketing activities must have UTM parameters or a URL parameter value.",
        "NON_HIERARCHIAL_REQUIRES_UTM_URL_PARAMETER",
      ),
    ]);
  // Uniqueness per app of the UTM triplet (remote ids are the upsert key, so they cannot collide here).
  if (
    input.utm &&
    list.some((a) => a.utm?.campaign === input.utm!.campaign && a.utm.source === input.utm!.source && a.utm.medium === input.utm!.medium)
  )
    return payload(null, [userError(["input"], "Validation failed: Utm campaign has already been taken", null)]);
  const n = nextId++;
  const rec: ActivityRec = {
    id: gid("MarketingActivity", n),
    eventId: gid("MarketingEvent", n + 44_000_000_000),
    remoteId: input.remoteId,
    title: input.title,
    status: input.status,
    remoteUrl: input.remoteUrl,
    tactic: input.tactic,
    marketingChannelType: input.marketingChannelType,
    utm: input.utm ?? null,
    urlParameterValue: input.urlParameterValue ?? null,
    currencyCode: budgetCurrency ?? spendCurrency ?? null,
    createdAt: at,
    updatedAt: at,
    start: input.start ?? null,
    end: input.end ?? null,
    scheduledEnd: input.scheduledEnd ?? null,
  };
  list.push(rec);
  return payload(view(rec), []);
}

type EngagementArgs = {
  marketingActivityId?: string | null;
  remoteId?: string | null;
  channelHandle?: string | null;
  marketingEngagement: Record<string, unknown> & {
    occurredOn: string;
    sales?: { currencyCode?: string } | null;
    adSpend?: { currencyCode?: string } | null;
  };
};

/** marketing-engagement-lifecycle.json and marketing-engagement-currency-validation.json. */
function engagementCreate(ctx: RequestContext, a: EngagementArgs) {
  const payload = (marketingEngagement: unknown, userErrors: UserError[]) => ({
    __typename: "MarketingEngagementCreatePayload",
    marketingEngagement,
    userErrors,
  });
  const given = [a.marketingActivityId, a.remoteId, a.channelHandle].filter((x) => x != null).length;
  if (given === 0)
    return payload(null, [
      userError(
        null,
        "No identifier found. For activity level engagement, either the marketing activity ID or remote ID must be provided. For channel level engagement, the channel handle must be provided.",
        "INVALID_MARKETING_ENGAGEMENT_ARGUMENT_MISSING",
      ),
    ]);
  if (given > 1)
    return payload(null, [
      userError(
        null,
        "For activity level engagement, either the marketing activity ID or remote ID must be provided. For channel level engagement, the channel handle must be provided.",
        "INVALID_MARKETING_ENGAGEMENT_ARGUMENTS",
      ),
    ]);
  if (a.channelHandle != null)
    return payload(null, [
      userError(
        ["channelHandle"],
        "The channel handle is not recognized. Please contact your partner manager for more information.",
        "INVALID_CHANNEL_HANDLE",
      ),
    ]);
  const activity = activitiesOf(ctx.shop).find((x) => (a.remoteId != null ? x.remoteId === a.remoteId : x.id === a.marketingActivityId));
  if (!activity) return payload(null, [userError(null, "Marketing activity does not exist.", "MARKETING_ACTIVITY_DOES_NOT_EXIST")]);
  const e = a.marketingEngagement;
  const salesCurrency = e.sales?.currencyCode;
  const spendCurrency = e.adSpend?.currencyCode;
  if (salesCurrency && spendCurrency && salesCurrency !== spendCurrency)
    return payload(null, [
      userError(["marketingEngagement"], "Currency codes in the marketing engagement input do not match.", "CURRENCY_CODE_MISMATCH_INPUT"),
    ]);
  const money = salesCurrency ?? spendCurrency;
  if (money && activity.currencyCode && money !== activity.currencyCode)
    return payload(null, [
      userError(
        ["marketingEngagement"],
        "Marketing activity currency code does not match the currency code in the marketing engagement input.",
        "MARKETING_ACTIVITY_CURRENCY_CODE_MISMATCH",
      ),
    ]);
  // A second write for the same day replaces the first (duplicateSameDay in the lifecycle recording).
  const list = engagementsOf(ctx.shop);
  const i = list.findIndex((x) => x.activityId === activity.id && x.occurredOn === e.occurredOn);
  const rec: EngagementRec = { activityId: activity.id, occurredOn: e.occurredOn, input: { ...e } };
  if (i >= 0) list[i] = rec;
  else list.push(rec);
  // Decimal fields come back as strings with one decimal at least ("1.5", "1.0").
  const decimal = (v: unknown) => (v == null ? null : Number.isInteger(Number(v)) ? `${Number(v)}.0` : String(Number(v)));
  // Counts the app did not send come back null (the recorded answers omit none they were sent).
  const counts = Object.fromEntries(ENGAGEMENT_COUNTS.map((k) => [k, e[k] ?? null]));
  return payload(
    {
      __typename: "MarketingEngagement",
      ...counts,
      ...e,
      isCumulative: e.isCumulative ?? false,
      orders: decimal(e.orders),
      firstTimeCustomers: decimal(e.firstTimeCustomers),
      returningCustomers: decimal(e.returningCustomers),
      primaryConversions: decimal(e.primaryConversions),
      allConversions: decimal(e.allConversions),
      sales: e.sales ? { __typename: "MoneyV2", ...e.sales } : null,
      adSpend: e.adSpend ? { __typename: "MoneyV2", ...e.adSpend } : null,
      marketingActivity: view(activity),
    },
    [],
  );
}

const ENGAGEMENT_COUNTS = [
  "impressionsCount",
  "viewsCount",
  "clicksCount",
  "sharesCount",
  "favoritesCount",
  "commentsCount",
  "unsubscribesCount",
  "complaintsCount",
  "failsCount",
  "sendsCount",
  "uniqueViewsCount",
  "uniqueClicksCount",
  "sessionsCount",
] as const;

export const marketingActivitiesModule: EmulatorModule = {
  name: "marketing-activities",
  register(r) {
    r.field("Mutation", "marketingActivityUpsertExternal", (_s, a: { input: UpsertInput }, ctx) => upsert(ctx, a.input), {
      scope: "write_marketing_events",
    });
    r.field("Mutation", "marketingEngagementCreate", (_s, a: EngagementArgs, ctx) => engagementCreate(ctx, a), {
      scope: "write_marketing_events",
    });
    r.field(
      "QueryRoot",
      "marketingActivity",
      (_s, a: { id: string }, ctx) => {
        const rec = activitiesOf(ctx.shop).find((x) => x.id === a.id);
        return rec ? view(rec) : null;
      },
      { scope: "read_marketing_events" },
    );
  },
};
