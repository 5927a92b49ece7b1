// `shopify app deploy` serializes every Flow trigger extension and aborts the whole deploy on the
// first field type it does not support ("Field type … is not supported on Flow Triggers"), so no
// merchant could install the app. Source: Shopify/cli packages/app/src/cli/services/flow/constants.ts
// (the trigger ui-type list and TRIGGER_SUPPORTED_COMMERCE_OBJECTS) and serialize-fields.ts, as
// published in @shopify/cli 3.94.3 (our devDependency). The list is read from the installed bundle at
// test time; the literal below is the cross-check, so a CLI upgrade that changes it fails here.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import toml from "toml";
import { describe, expect, it } from "vitest";
import { FLOW_TRIGGERS, pointsExpiringPayload, winbackTouchPayload, normalizeFlowPayload } from "../../app/messaging/flow";
import { readCliTriggerRules, triggerFieldProblem } from "./shopify-cli";

/** @shopify/cli 3.94.3, dist/index.js (constants.ts): the trigger field types and commerce references. */
const CLI_3_94_TRIGGER_FIELD_TYPES = ["boolean", "email", "single_line_text_field", "url", "number_decimal", "schema_type_reference"];
const CLI_3_94_TRIGGER_COMMERCE_OBJECTS = [
  "customer_reference",
  "order_reference",
  "product_reference",
  "company_reference",
  "company_contact_reference",
];

const rules = readCliTriggerRules();

interface TriggerToml {
  dir: string;
  handle: string;
  fields: Array<{ type: string; key?: string; description?: string }>;
}

function flowTriggerTomls(): TriggerToml[] {
  const out: TriggerToml[] = [];
  for (const d of readdirSync("extensions")) {
    const file = path.join("extensions", d, "shopify.extension.toml");
    if (!existsSync(file)) continue;
    const cfg = toml.parse(readFileSync(file, "utf8"));
    for (const ext of cfg.extensions ?? []) {
      if (ext.type === "flow_trigger") out.push({ dir: d, handle: ext.handle, fields: cfg.settings?.fields ?? [] });
    }
  }
  return out;
}

describe("Flow triggers deploy with the Shopify CLI", () => {
  it("the installed CLI's accepted list is read from its bundle and matches the cited 3.94 list", () => {
    expect(rules.version).toMatch(/^3\.94\./);
    expect(rules.fieldTypes).toEqual(CLI_3_94_TRIGGER_FIELD_TYPES);
    expect(rules.commerceObjects).toEqual(CLI_3_94_TRIGGER_COMMERCE_OBJECTS);
    expect(rules.schemaPrefix).toBe(true);
    expect(rules.keyRule).toBe(true);
    // Not accepted on triggers (they are on Flow actions): the types the extensions used to declare.
    expect(rules.fieldTypes).not.toContain("number_integer");
    expect(rules.fieldTypes).not.toContain("date_time");
  });

  it("the field check refuses what the CLI refuses (the old tomls' number_integer and date_time)", () => {
    expect(triggerFieldProblem(rules, { type: "number_integer", key: "Touch day" })).toBe(
      "Field type number_integer is not supported on Flow Triggers",
    );
    expect(triggerFieldProblem(rules, { type: "date_time", key: "Expires at" })).toBe(
      "Field type date_time is not supported on Flow Triggers",
    );
    expect(triggerFieldProblem(rules, { type: "marketing_activity_reference" })).toBe(
      "Commerce object marketing_activity_reference is not supported for Flow Triggers",
    );
    expect(triggerFieldProblem(rules, { type: "single_line_text_field" })).toMatch(/key property must be specified/);
    expect(triggerFieldProblem(rules, { type: "single_line_text_field", key: "touch_day" })).toMatch(/only alphabetic/);
    expect(triggerFieldProblem(rules, { type: "schema.Thing", key: "Thing" })).toBeNull();
    expect(triggerFieldProblem(rules, { type: "customer_reference" })).toBeNull();
  });

  const tomls = flowTriggerTomls();

  it("finds both trigger extensions", () => {
    expect(tomls.map((t) => t.handle).sort()).toEqual(Object.keys(FLOW_TRIGGERS).sort());
  });

  it.each(tomls.map((t) => [t.handle, t] as const))("%s: every field is one the CLI deploys", (_h, t) => {
    expect(t.fields.map((f) => triggerFieldProblem(rules, f)).filter(Boolean)).toEqual([]);
  });

  it.each(tomls.map((t) => [t.handle, t] as const))(
    "%s: the toml declares exactly the keys, types and descriptions app/messaging/flow.ts sends",
    (handle, t) => {
      const spec = FLOW_TRIGGERS[handle]!;
      expect(t.fields[0]).toEqual({ type: "customer_reference" });
      const custom = t.fields.slice(1);
      expect(custom.map((f) => ({ key: f.key, type: f.type, description: f.description }))).toEqual(
        spec.fields.map((f) => ({ key: f.key, type: f.type, description: f.description })),
      );
    },
  );

  it("the payload builders send declared keys only, numbers for number_decimal and ISO 8601 UTC text for instants", () => {
    const touch = winbackTouchPayload({
      customerId: "7",
      campaignId: "c1",
      branch: "standard",
      touchDay: 3,
      discountCode: "WB-1",
      discountEndsAt: "2026-12-04T10:00:00+01:00",
      perk: "p",
    });
    const pts = pointsExpiringPayload({
      customerId: "8",
      points: 240,
      pointsValue: 9.5,
      expiresAt: new Date("2027-01-01T00:00:00Z"),
      basketSuggestion: "Soap",
    });
    for (const [handle, payload] of [
      ["winback-touch", touch],
      ["points-expiring", pts],
    ] as const) {
      const t = tomls.find((x) => x.handle === handle)!;
      const declared = new Map(t.fields.slice(1).map((f) => [f.key!, f.type]));
      for (const [k, v] of Object.entries(payload)) {
        if (k === "customer_id") {
          expect(typeof v).toBe("number");
          continue;
        }
        const type = declared.get(k);
        expect(type, `${handle}: ${k} is declared`).toBeDefined();
        if (type === "number_decimal") expect(typeof v).toBe("number");
        if (type === "single_line_text_field") expect(v).toEqual(expect.stringMatching(/^[^\r\n]{0,255}$/));
      }
    }
    expect(touch["Discount ends at"]).toBe("2026-12-04T09:00:00.000Z");
    expect(pts["Expires at"]).toBe("2027-01-01T00:00:00.000Z");
    // A fractional touch day or point count is refused: the field is number_decimal but its meaning is whole.
    expect(() => normalizeFlowPayload("points-expiring", { customer_id: 8, points: 2.5 })).toThrow(/points/);
    expect(() => normalizeFlowPayload("winback-touch", { customer_id: 8, discount_ends_at: "2026-13-45T00:00:00Z" })).toThrow(
      /discount_ends_at/,
    );
  });
});
