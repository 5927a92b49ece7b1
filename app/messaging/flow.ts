import { z } from "zod";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { parseOrThrow, ShopDomain } from "../lib/parse";
import { receiveFlowTrigger } from "../shopify/flow";
import type { AdminClient } from "../shopify/graphql-client";
import { requireOk } from "../shopify/response";
import { claimFlowTrigger, claimFlowTriggers, markFlowTriggerFailed, markFlowTriggerFired, markFlowTriggersFired } from "./store";
import type { FlowTriggerEvent, FlowTriggers } from "./types";

/**
 * Shopify Flow triggers. The fields below mirror the extensions' tomls
 * (extensions/winback-touch-trigger, extensions/points-expiry-trigger; test/release/flow-triggers.test.ts
 * keeps them equal). Flow only accepts letters and spaces in a custom field key, so the declared keys
 * read "Campaign ID", "Touch day"...; callers may use the snake_case alias (`campaign_id`, `touch_day`),
 * which is mapped to the declared key before sending. The customer reference is `customer_id`.
 *
 * The Shopify CLI deploys a trigger only if every custom field is boolean, email,
 * single_line_text_field, url, number_decimal or schema.* (Shopify/cli services/flow/constants.ts and
 * serialize-fields.ts: "Field type … is not supported on Flow Triggers"); number_integer and date_time
 * abort `shopify app deploy`. So a whole number travels as number_decimal and an instant as ISO 8601
 * UTC text; `format` keeps the stricter meaning on our side.
 */
export type FlowFieldType = "single_line_text_field" | "number_decimal";

/** What a field's value means beyond its Flow type: checked and normalized before sending. */
export type FlowFieldFormat = "text" | "integer" | "decimal" | "iso_utc";

export interface FlowField {
  key: string;
  alias: string;
  type: FlowFieldType;
  format: FlowFieldFormat;
  description: string;
}

export interface FlowTriggerSpec {
  handle: string;
  /** Whether the trigger declares a `customer_reference` field (payload `customer_id`). */
  customerReference: true;
  fields: FlowField[];
}

export const WINBACK_TOUCH_TRIGGER: FlowTriggerSpec = {
  handle: "winback-touch",
  customerReference: true,
  fields: [
    {
      key: "Campaign ID",
      alias: "campaign_id",
      type: "single_line_text_field",
      format: "text",
      description: "Winback campaign the touch belongs to",
    },
    {
      key: "Branch",
      alias: "branch",
      type: "single_line_text_field",
      format: "text",
      description: "standard, vip, or standard_no_click (a reacting step sent to Flow only)",
    },
    {
      key: "Touch day",
      alias: "touch_day",
      type: "number_decimal",
      format: "integer",
      description: "Days since the campaign launched, a whole number (0, 3, 10 / 0, 7)",
    },
    {
      key: "Discount code",
      alias: "discount_code",
      type: "single_line_text_field",
      format: "text",
      description: "The customer's win-back code (Standard branch)",
    },
    {
      key: "Discount ends at",
      alias: "discount_ends_at",
      type: "single_line_text_field",
      format: "iso_utc",
      description: "When the code stops working (ISO 8601, UTC)",
    },
    { key: "Perk", alias: "perk", type: "single_line_text_field", format: "text", description: "Non-price perk offered to a VIP" },
  ],
};

export const POINTS_EXPIRING_TRIGGER: FlowTriggerSpec = {
  handle: "points-expiring",
  customerReference: true,
  fields: [
    {
      key: "Points",
      alias: "points",
      type: "number_decimal",
      format: "integer",
      description: "Points that expire on the date below, a whole number",
    },
    {
      key: "Points value",
      alias: "points_value",
      type: "number_decimal",
      format: "decimal",
      description: "What those points are worth in the shop's currency",
    },
    {
      key: "Expires at",
      alias: "expires_at",
      type: "single_line_text_field",
      format: "iso_utc",
      description: "When the points expire (ISO 8601, UTC)",
    },
    {
      key: "Basket suggestion",
      alias: "basket_suggestion",
      type: "single_line_text_field",
      format: "text",
      description: "Products from the customer's own history",
    },
  ],
};

export const FLOW_TRIGGERS: Record<string, FlowTriggerSpec> = {
  [WINBACK_TOUCH_TRIGGER.handle]: WINBACK_TOUCH_TRIGGER,
  [POINTS_EXPIRING_TRIGGER.handle]: POINTS_EXPIRING_TRIGGER,
};

const singleLine = z
  .string()
  .max(255)
  .refine((s) => !/[\r\n]/.test(s), "must be a single line");

const valueSchema: Record<FlowFieldFormat, z.ZodTypeAny> = {
  text: singleLine,
  integer: z.number().int(),
  decimal: z.number().finite(),
  // Any offset is accepted; what Flow receives is always UTC with a Z, so a workflow's date
  // comparisons and Liquid `date` filters see one form.
  iso_utc: z
    .union([z.date(), z.string().datetime({ offset: true })])
    .transform((v) => (v instanceof Date ? v : new Date(v)))
    .refine((d) => !Number.isNaN(d.getTime()), "must be a valid date")
    .transform((d) => d.toISOString()),
};

/**
 * Checks a payload against the trigger's declared fields and returns it with declared keys only.
 * Unknown keys, wrong types and a missing customer reference are INVALID_INPUT: Flow would drop
 * or reject them silently. null/undefined values are left out (the field is optional in Flow).
 */
export function normalizeFlowPayload(handle: string, payload: Record<string, unknown>): Record<string, unknown> {
  const spec = FLOW_TRIGGERS[handle];
  if (!spec) throw new AppError("INVALID_INPUT", `Unknown Flow trigger handle ${handle}`);
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(payload)) {
    if (k === "customer_id") continue;
    const field = spec.fields.find((f) => f.key === k || f.alias === k);
    if (!field) {
      problems.push(`${k}: not a field of ${handle}`);
      continue;
    }
    if (v === null || v === undefined) continue;
    const r = valueSchema[field.format].safeParse(v);
    if (!r.success) problems.push(`${k}: ${r.error.issues.map((i) => i.message).join(", ")}`);
    else out[field.key] = r.data;
  }
  const cid = payload.customer_id;
  const cidText =
    typeof cid === "number" || typeof cid === "bigint"
      ? String(cid)
      : typeof cid === "string"
        ? cid.replace(/^gid:\/\/shopify\/Customer\//, "")
        : "";
  if (!/^\d{1,20}$/.test(cidText)) problems.push("customer_id: a legacy customer id is required");
  if (problems.length) throw new AppError("INVALID_INPUT", `Flow trigger ${handle}: ${problems.join("; ")}`, { details: problems });
  // Flow's customer reference is the numeric id; legacy ids stay far below 2^53.
  const n = Number(cidText);
  return { customer_id: Number.isSafeInteger(n) ? n : cidText, ...out };
}

export interface WinbackTouchPayload {
  customerId: string;
  campaignId: string;
  branch: "standard" | "vip";
  touchDay: number;
  discountCode?: string | null;
  discountEndsAt?: Date | string | null;
  perk?: string | null;
}

export function winbackTouchPayload(p: WinbackTouchPayload): Record<string, unknown> {
  return normalizeFlowPayload(WINBACK_TOUCH_TRIGGER.handle, {
    customer_id: p.customerId,
    campaign_id: p.campaignId,
    branch: p.branch,
    touch_day: p.touchDay,
    discount_code: p.discountCode ?? null,
    discount_ends_at: p.discountEndsAt ?? null,
    perk: p.perk ?? null,
  });
}

export interface PointsExpiringPayload {
  customerId: string;
  points: number;
  pointsValue: number;
  expiresAt: Date | string;
  basketSuggestion?: string | null;
}

export function pointsExpiringPayload(p: PointsExpiringPayload): Record<string, unknown> {
  return normalizeFlowPayload(POINTS_EXPIRING_TRIGGER.handle, {
    customer_id: p.customerId,
    points: p.points,
    points_value: Math.round(p.pointsValue * 100) / 100,
    expires_at: p.expiresAt,
    basket_suggestion: p.basketSuggestion ?? null,
  });
}

const EventSchema = z.object({
  shop: ShopDomain,
  handle: z.string().min(1).max(30),
  payload: z.record(z.string(), z.unknown()),
  dedupeKey: z.string().min(1).max(300),
});

export interface FlowTriggerDeps {
  sql: Sql;
  client: (shop: string) => Promise<AdminClient>;
  now?: () => Date;
  /** How long a `firing` claim is presumed in flight (default 10 min); after it, the claim counts as fired. */
  firingLeaseMs?: number;
}

/**
 * Fires each dedupeKey at most once, the same way email is sent: claim (`firing`), call Shopify,
 * mark `fired`. A process killed after the call leaves `firing`; a retry does not fire again (a
 * duplicate workflow run means a duplicate SMS). Errors Shopify reports (userErrors, throttling that
 * outlasted the client's retries) mean nothing ran: the row becomes `failed` and a retry may fire.
 */
export function createFlowTriggers(deps: FlowTriggerDeps): FlowTriggers {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.firingLeaseMs ?? 10 * 60_000;

  async function fire(input: FlowTriggerEvent): Promise<"fired" | "duplicate"> {
    const ev = parseOrThrow(EventSchema, input, "Flow trigger event");
    const payload = normalizeFlowPayload(ev.handle, ev.payload);
    const at = now();
    const claimed = await deps.sql.transaction((tx) =>
      claimFlowTrigger(tx, {
        shop: ev.shop,
        customerId: String(payload.customer_id),
        handle: ev.handle,
        dedupeKey: ev.dedupeKey,
        payload: JSON.stringify(payload),
        at,
        leaseMs,
      }),
    );
    if (!claimed) return "duplicate";
    try {
      const client = await deps.client(ev.shop);
      requireOk(await receiveFlowTrigger(client, { handle: ev.handle, payload }), `flowTriggerReceive(${ev.handle})`);
    } catch (e) {
      await markFlowTriggerFailed(deps.sql, claimed, String((e as Error).message ?? e), now());
      throw e;
    }
    await markFlowTriggerFired(deps.sql, claimed, now());
    return "fired";
  }

  /**
   * fire for many events of one shop (a touch batch's chunk; docs/decisions/095-batched-sends.md):
   * the claims in one statement or two, one flowTriggerReceive per claimed event (Flow takes one
   * payload per call) a few at a time, the `fired` marks in one statement. Same at-most-once rule
   * as fire; a call Shopify refused is `failed` and that event's outcome is the error.
   */
  async function fireMany(inputs: FlowTriggerEvent[]): Promise<Array<"fired" | "duplicate" | Error>> {
    const evs = inputs.map((i) => parseOrThrow(EventSchema, i, "Flow trigger event"));
    if (!evs.length) return [];
    const shop = evs[0]!.shop;
    if (evs.some((e) => e.shop !== shop)) throw new AppError("INVALID_INPUT", "A batch of Flow triggers belongs to one shop");
    if (new Set(evs.map((e) => e.dedupeKey)).size !== evs.length)
      throw new AppError("INVALID_INPUT", "Flow trigger dedupe keys repeat in one batch");
    const payloads = evs.map((e) => normalizeFlowPayload(e.handle, e.payload));
    const claimed = await claimFlowTriggers(
      deps.sql,
      shop,
      evs.map((e, i) => ({
        customerId: String(payloads[i]!.customer_id),
        handle: e.handle,
        dedupeKey: e.dedupeKey,
        payload: JSON.stringify(payloads[i]),
      })),
      now(),
      leaseMs,
    );
    const out: Array<"fired" | "duplicate" | Error> = evs.map(() => "duplicate");
    const fired: string[] = [];
    const todo = evs.flatMap((e, i) => (claimed.has(e.dedupeKey) ? [i] : []));
    let next = 0;
    const client = todo.length ? await deps.client(shop) : null;
    // Throttling is Shopify asking to wait, not a fault. The client already waits out a throttled
    // call a few times, but with several calls in flight they race for the same refilling bucket and
    // each can run out of attempts while the bucket refills for the others (a chunk of triggers fired
    // at once drains it). So a throttled call makes every worker pause until the bucket's hint, then
    // it is tried again; only when that keeps failing is it a failure.
    let pausedUntil = 0;
    const worker = async () => {
      while (next < todo.length) {
        const i = todo[next++]!;
        const id = claimed.get(evs[i]!.dedupeKey)!;
        for (let round = 1; ; round++) {
          const wait = pausedUntil - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          try {
            requireOk(
              await receiveFlowTrigger(client!, { handle: evs[i]!.handle, payload: payloads[i]! }),
              `flowTriggerReceive(${evs[i]!.handle})`,
            );
            fired.push(id);
            out[i] = "fired";
            break;
          } catch (e) {
            if (e instanceof AppError && e.code === "THROTTLED" && round < THROTTLED_ROUNDS) {
              pausedUntil = Math.max(pausedUntil, Date.now() + Math.min(e.retryAfterMs ?? 1000, 10_000));
              continue;
            }
            await markFlowTriggerFailed(deps.sql, id, String((e as Error).message ?? e), now());
            out[i] = e instanceof Error ? e : new Error(String(e));
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIRE_MANY_CONCURRENCY, todo.length) }, worker));
    await markFlowTriggersFired(deps.sql, fired, now());
    return out;
  }

  return { fire, fireMany };
}

/** flowTriggerReceive calls of one fireMany at once: each is a request to Shopify, within its rate limit. */
const FIRE_MANY_CONCURRENCY = 8;
/** Rounds of the client's own throttle retries a trigger gets in fireMany before it counts as failed. */
const THROTTLED_ROUNDS = 10;
