// The app's Flow trigger extensions as Shopify knows them after `shopify app deploy`, read from
// extensions/*/shopify.extension.toml on every call (so the emulator follows whatever the tomls declare
// now), and the payload check flowTriggerReceive(handle:, payload:) runs against them.
//
// Sources:
// - Shopify/cli packages/app/src/cli/services/flow/constants.ts + serialize-fields.ts: a trigger field
//   type must be boolean, email, single_line_text_field, url, number_decimal, schema.* or a commerce
//   object reference (customer/order/product/company/company_contact); anything else aborts the deploy
//   ("Field type … is not supported on Flow Triggers"), so an extension declaring one never reaches
//   Shopify. A commerce object reference is sent as `<object>_id`; custom fields by their `key`;
//   trigger fields carry no `required` flag (only actions do).
// - Live recordings admin-platform/admin-platform-flow-trigger-receive-*.json (2026-04): the error
//   grammar "Errors validating schema:\n  <problem>\n" on field ["body"], with problems "Invalid handle
//   'x'.", "Invalid field: 'x'.", "Required field missing: 'x'.", "Type error for field 'x': v is not an
//   absolute URL.", several problems one per line in one userError.
// The recordings only cover handles no extension declares, so how Shopify words a problem INSIDE a
// deployed trigger's payload is inferred from that grammar; which custom fields are required is not
// documented (the emulator requires the commerce-object references only).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const toml = createRequire(import.meta.url)("toml") as { parse(text: string): any };

/** Field types the Shopify CLI deploys on Flow triggers (constants.ts supportedTriggerTypes). */
export const TRIGGER_FIELD_TYPES = ["boolean", "email", "single_line_text_field", "url", "number_decimal"] as const;
/** Commerce objects a trigger may reference (constants.ts TRIGGER_SUPPORTED_COMMERCE_OBJECTS). */
export const TRIGGER_COMMERCE_OBJECTS = [
  "customer_reference",
  "order_reference",
  "product_reference",
  "company_reference",
  "company_contact_reference",
] as const;

export interface TriggerField {
  key: string;
  type: string;
  reference: boolean;
}
export interface DeployedTrigger {
  handle: string;
  dir: string;
  fields: TriggerField[];
}
export interface UndeployableTrigger {
  handle: string;
  dir: string;
  reason: string;
}

/** Why the CLI would refuse this field at deploy, or null. */
function deployProblem(f: { type?: unknown; key?: unknown }): string | null {
  const type = String(f.type ?? "");
  if (type.endsWith("_reference"))
    return (TRIGGER_COMMERCE_OBJECTS as readonly string[]).includes(type)
      ? null
      : `Commerce object ${type} is not supported for Flow Triggers`;
  if (typeof f.key !== "string") return `key property must be specified for non-commerce object fields in ${JSON.stringify(f)}`;
  if (type.startsWith("schema.")) return null;
  return (TRIGGER_FIELD_TYPES as readonly string[]).includes(type) ? null : `Field type ${type} is not supported on Flow Triggers`;
}

/** Reads every flow_trigger extension; ones the CLI would not deploy are listed apart. */
export function loadFlowTriggers(extensionsDir: string): { deployed: Map<string, DeployedTrigger>; undeployable: UndeployableTrigger[] } {
  const deployed = new Map<string, DeployedTrigger>();
  const undeployable: UndeployableTrigger[] = [];
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(extensionsDir);
  } catch {
    return { deployed, undeployable };
  }
  for (const d of dirs) {
    const file = path.join(extensionsDir, d, "shopify.extension.toml");
    if (!fs.existsSync(file)) continue;
    const cfg = toml.parse(fs.readFileSync(file, "utf8"));
    for (const ext of (cfg.extensions ?? []) as Array<Record<string, unknown>>) {
      if (ext.type !== "flow_trigger" || typeof ext.handle !== "string") continue;
      const raw = (cfg.settings?.fields ?? []) as Array<Record<string, unknown>>;
      const problem = raw.map(deployProblem).find((p) => p != null);
      if (problem) {
        undeployable.push({ handle: ext.handle, dir: d, reason: problem });
        continue;
      }
      const fields = raw.map((f) => {
        const type = String(f.type);
        const reference = type.endsWith("_reference");
        return { key: reference ? `${type.replace(/_reference$/, "")}_id` : String(f.key), type, reference };
      });
      deployed.set(ext.handle, { handle: ext.handle, dir: d, fields });
    }
  }
  return { deployed, undeployable };
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function typeProblem(f: TriggerField, v: unknown): string | null {
  const bad = (what: string) => `Type error for field '${f.key}': ${show(v)} is not ${what}.`;
  if (f.reference)
    return (typeof v === "number" && Number.isSafeInteger(v) && v > 0) || (typeof v === "string" && /^\d+$/.test(v)) ? null : bad("an ID");
  switch (f.type) {
    case "boolean":
      return typeof v === "boolean" ? null : bad("a Boolean");
    case "number_decimal":
      return typeof v === "number" && Number.isFinite(v) ? null : bad("a Decimal");
    case "single_line_text_field":
      return typeof v === "string" && !/[\r\n]/.test(v) ? null : bad("a single line String");
    case "email":
      return typeof v === "string" && /^[^@\s]+@[^@\s]+$/.test(v) ? null : bad("an email address");
    case "url": {
      if (typeof v !== "string") return bad("an absolute URL");
      try {
        new URL(v);
        return null;
      } catch {
        return bad("an absolute URL");
      }
    }
    default:
      return null; // schema.* types: the app declares none; not modelled
  }
}

/** Problems of a payload for a deployed trigger, in Shopify's order (unknown, missing, type). */
export function payloadProblems(trigger: DeployedTrigger, payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const byKey = new Map(trigger.fields.map((f) => [f.key, f]));
  for (const k of Object.keys(payload)) if (!byKey.has(k)) problems.push(`Invalid field: '${k}'.`);
  for (const f of trigger.fields) if (f.reference && payload[f.key] == null) problems.push(`Required field missing: '${f.key}'.`);
  for (const [k, v] of Object.entries(payload)) {
    const f = byKey.get(k);
    if (!f || v == null) continue;
    const p = typeProblem(f, v);
    if (p) problems.push(p);
  }
  return problems;
}

export const schemaError = (problems: string[]) => `Errors validating schema:\n${problems.map((p) => `  ${p}\n`).join("")}`;
