// What the installed Shopify CLI (@shopify/cli, a devDependency) accepts on a Flow trigger, read out
// of its published bundle at test time, so a CLI upgrade that changes the list cannot silently
// diverge from our tests. The bundle is minified: the lookups follow the code path that throws
// "Field type … is not supported on Flow Triggers" (Shopify/cli packages/app/src/cli/services/flow/
// serialize-fields.ts) back to the lists it uses (services/flow/constants.ts). If the bundle's shape
// changes, extraction throws and names the step, rather than returning a guess.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export interface CliTriggerRules {
  version: string;
  file: string;
  /** Custom field types (the CLI's `schema_type_reference` stands for any `schema.*` type). */
  fieldTypes: string[];
  /** Commerce object references a trigger may declare. */
  commerceObjects: string[];
  /** The CLI checks `type.startsWith("schema.")` for schema type references. */
  schemaPrefix: boolean;
  /** The CLI's trigger field schema restricts keys to letters and spaces. */
  keyRule: boolean;
}

const esc = (s: string) => s.replace(/[$]/g, "\\$");

function must(m: RegExpMatchArray | null, step: string): RegExpMatchArray {
  if (!m) throw new Error(`@shopify/cli bundle: could not find ${step}; the bundle's shape changed, re-derive the list by hand`);
  return m;
}

/** `X=[A.b,A.c]` → the values of A.b, A.c from `A={b:"…",c:"…"}`. */
function enumList(src: string, listVar: string, step: string): string[] {
  const list = must(src.match(new RegExp(`[,;\\s]${esc(listVar)}=\\[([^\\]]*)\\]`)), `${step} list ${listVar}`)[1]!;
  const refs = list
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  return refs.map((r) => {
    const [obj, prop] = r.split(".");
    if (!obj || !prop) throw new Error(`@shopify/cli bundle: ${step} entry ${r} is not an enum reference`);
    const body = must(src.match(new RegExp(`[,;\\s]${esc(obj)}=\\{([^}]*)\\}`)), `${step} enum ${obj}`)[1]!;
    const value = must(body.match(new RegExp(`(?:^|,)${esc(prop)}:"([^"]+)"`)), `${step} enum entry ${r}`)[1]!;
    return value;
  });
}

export function readCliTriggerRules(): CliTriggerRules {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve("@shopify/cli/package.json");
  const version = (JSON.parse(readFileSync(pkgFile, "utf8")) as { version: string }).version;
  const dist = path.join(path.dirname(pkgFile), "dist");
  const file = readdirSync(dist)
    .filter((f) => f.endsWith(".js"))
    .map((f) => path.join(dist, f))
    .find((f) => readFileSync(f, "utf8").includes("is not supported on Flow "));
  if (!file) throw new Error(`@shopify/cli ${version}: no bundle file throws "is not supported on Flow …"`);
  const src = readFileSync(file, "utf8");

  // serialize-fields.ts: `const uiTypesMap = type === 'flow_action' ? actionMap : triggerMap`
  const pick = must(src.match(/[\w$]+==="flow_action"\?([\w$]+):([\w$]+),/), "the action/trigger ui-type map choice");
  const triggerMap = pick[2]!;
  // constants.ts: the trigger map is `new Map(triggerUiTypesMap)`, itself a filter of all ui types by the supported list.
  const pairs = must(src.match(new RegExp(`[,;\\s]${esc(triggerMap)}=new Map\\(([\\w$]+)\\)`)), `new Map for ${triggerMap}`)[1]!;
  const listVar = must(
    src.match(new RegExp(`[,;\\s]${esc(pairs)}=[\\w$]+\\.filter\\(\\(\\[([\\w$]+)\\]\\)=>([\\w$]+)\\.includes\\(\\1\\)\\)`)),
    `the filter behind ${pairs}`,
  )[2]!;
  const fieldTypes = enumList(src, listVar, "supported trigger types");

  // serialize-fields.ts: `if (type === 'flow_trigger' && !TRIGGER_SUPPORTED_COMMERCE_OBJECTS.includes(field.type)) throw`
  const cv = must(src.match(/"flow_trigger"&&!([\w$]+)\.includes/), "the trigger commerce-object list")[1]!;
  const commerceObjects = enumList(src, cv, "trigger commerce objects");
  const schemaPrefix = src.includes('startsWith("schema.")');
  // The flow_trigger field schema: `key: zod.string().regex(/^[a-zA-Z\s]*$/)`.
  const keyRule = /key:[\w$]+\.string\(\)\.regex\(\/\^\[a-zA-Z\\s\]\*\$\//.test(src);
  return { version, file, fieldTypes, commerceObjects, schemaPrefix, keyRule };
}

/**
 * Why the CLI would refuse a trigger field at deploy (the order of serialize-fields.ts), or null.
 * Commerce references are recognised by the CLI's full reference list, then checked against the
 * trigger subset; every other field needs a key and a supported type.
 */
export function triggerFieldProblem(rules: CliTriggerRules, f: { type?: unknown; key?: unknown }): string | null {
  const type = String(f.type ?? "");
  if (type.endsWith("_reference") && !type.startsWith("schema.")) {
    return rules.commerceObjects.includes(type) ? null : `Commerce object ${type} is not supported for Flow Triggers`;
  }
  if (typeof f.key !== "string") return `key property must be specified for non-commerce object fields in ${JSON.stringify(f)}`;
  // Custom keys: the CLI's zod schema for flow_trigger fields allows only letters and spaces.
  if (!/^[a-zA-Z\s]*$/.test(f.key)) return `key ${f.key}: String must contain only alphabetic characters and spaces`;
  if (type.startsWith("schema."))
    return rules.schemaPrefix && rules.fieldTypes.includes("schema_type_reference")
      ? null
      : `Field type ${type} is not supported on Flow Triggers`;
  return rules.fieldTypes.includes(type) && type !== "schema_type_reference"
    ? null
    : `Field type ${type} is not supported on Flow Triggers`;
}
