// Metafields and metafield definitions (loyalty points on customers, the reward rate on the shop): metafieldDefinitionCreate,
// metafieldsSet (25 per call else a LESS_THAN_OR_EQUAL_TO userError, atomic, validated by type), metafieldsDelete, Customer.metafield(s),
// and the `$app` reserved prefix resolved to `app--{appId}` like Shopify does for the calling app.
import { GraphQLError } from "graphql";
import type { EmulatorModule, RequestContext } from "../engine";
import type { ShopState } from "../state";
import { parseGid } from "../state";
import { shopGid } from "./core";

/** metafieldsSet accepts at most this many entries per call. */
export const METAFIELDS_SET_LIMIT = 25;

/** The emulator hosts one app; its numeric id is what `$app` resolves to. */
export const EMULATOR_APP_ID = "7700001";

export interface StoredDefinition {
  id: string;
  name: string;
  namespace: string;
  key: string;
  type: string;
  ownerType: string;
  description: string | null;
  storefront: "NONE" | "PUBLIC_READ";
  createdAt: string;
}

export interface StoredMetafield {
  id: string;
  ownerId: string;
  namespace: string;
  key: string;
  type: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface MetafieldStore {
  definitions: StoredDefinition[];
  values: Record<string, StoredMetafield>;
  nextId: number;
}

export const metafieldStore = (shop: ShopState): MetafieldStore =>
  shop.store("metafields", () => ({ definitions: [], values: {}, nextId: 1 }));

/** `$app` → `app--{id}`, `$app:loyalty` → `app--{id}--loyalty`; other namespaces unchanged. */
export function resolveNamespace(ns: string | null | undefined): string {
  const n = ns ?? "$app";
  if (n === "$app") return `app--${EMULATOR_APP_ID}`;
  if (n.startsWith("$app:")) return `app--${EMULATOR_APP_ID}--${n.slice(5)}`;
  return n;
}

const valueKey = (ownerId: string, namespace: string, key: string) => `${ownerId}|${namespace}|${key}`;

const SUPPORTED_TYPES = new Set([
  "boolean",
  "color",
  "date",
  "date_time",
  "json",
  "money",
  "multi_line_text_field",
  "number_decimal",
  "number_integer",
  "single_line_text_field",
  "url",
  "rating",
  "weight",
  "dimension",
  "volume",
  "link",
  "rich_text_field",
]);

/** Shopify's per-type value validation (the subset of types the app and tests use, checked strictly). */
export function validateValue(type: string, value: string): string | null {
  switch (type) {
    case "number_integer": {
      if (!/^-?\d+$/.test(value)) return "Value must be an integer.";
      const n = Number(value);
      if (!Number.isSafeInteger(n)) return "Value must be an integer between -9,007,199,254,740,991 and 9,007,199,254,740,991.";
      return null;
    }
    case "number_decimal":
      return /^-?\d+(\.\d+)?$/.test(value) ? null : "Value must be a decimal.";
    case "date": {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!m) return "Value must be in YYYY-MM-DD format.";
      const d = new Date(`${value}T00:00:00Z`);
      return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value ? "Value must be a valid date." : null;
    }
    case "date_time":
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value) && !Number.isNaN(Date.parse(value))
        ? null
        : "Value must be in ISO 8601 date and time format.";
    case "boolean":
      return value === "true" || value === "false" ? null : "Value must be true or false.";
    case "single_line_text_field":
      return /[\r\n]/.test(value) ? "Value must be a single line text string." : null;
    case "json":
      try {
        JSON.parse(value);
        return null;
      } catch {
        return "Value must be valid JSON.";
      }
    default:
      return null;
  }
}

function jsonValue(type: string, value: string): unknown {
  switch (type) {
    case "number_integer":
      return Number(value);
    case "number_decimal":
      return value;
    case "boolean":
      return value === "true";
    case "json":
      return JSON.parse(value);
    default:
      return value;
  }
}

function metafieldView(m: StoredMetafield) {
  return {
    __typename: "Metafield",
    id: m.id,
    legacyResourceId: m.id.slice(m.id.lastIndexOf("/") + 1),
    namespace: m.namespace,
    key: m.key,
    type: m.type,
    value: m.value,
    jsonValue: jsonValue(m.type, m.value),
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    ownerType: ownerTypeOf(m.ownerId),
    description: null,
    compareDigest: Buffer.from(`${m.id}:${m.updatedAt}`).toString("base64"),
  };
}

function definitionView(d: StoredDefinition) {
  return {
    __typename: "MetafieldDefinition",
    id: d.id,
    name: d.name,
    namespace: d.namespace,
    key: d.key,
    description: d.description,
    ownerType: d.ownerType,
    type: { __typename: "MetafieldDefinitionType", name: d.type, category: "NUMBER" },
    access: { __typename: "MetafieldAccess", storefront: d.storefront, admin: "MERCHANT_READ", customerAccount: "NONE" },
  };
}

function ownerExists(ctx: RequestContext, ownerId: string): boolean {
  const p = parseGid(ownerId);
  if (!p) return false;
  if (p.type === "Customer") return ctx.shop.customerIndexFromId(ownerId) >= 0;
  if (p.type === "Shop") return ownerId === shopGid(ctx.shop.domain);
  return false;
}

/** The definition owner type a metafield owner GID belongs to. */
const ownerTypeOf = (ownerId: string) => (parseGid(ownerId)?.type === "Shop" ? "SHOP" : "CUSTOMER");

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A customer's or the shop's metafields as the storefront (Liquid) sees them: only those whose definition grants storefront PUBLIC_READ. */
export function storefrontMetafields(shop: ShopState, ownerGid: string): Record<string, Record<string, unknown>> {
  const store = metafieldStore(shop);
  const out: Record<string, Record<string, unknown>> = {};
  const ownerType = ownerTypeOf(ownerGid);
  for (const m of Object.values(store.values)) {
    if (m.ownerId !== ownerGid) continue;
    const def = store.definitions.find((d) => d.ownerType === ownerType && d.namespace === m.namespace && d.key === m.key);
    if (!def || def.storefront !== "PUBLIC_READ") continue;
    (out[m.namespace] ??= {})[m.key] = jsonValue(m.type, m.value);
  }
  return out;
}

export const metafieldsModule: EmulatorModule = {
  name: "metafields",
  register(r) {
    r.field(
      "Mutation",
      "metafieldDefinitionCreate",
      (_s, a: { definition: any }, ctx) => {
        const d = a.definition;
        const store = metafieldStore(ctx.shop);
        const namespace = resolveNamespace(d.namespace);
        const err = (field: string, message: string, code: string) => ({
          __typename: "MetafieldDefinitionCreatePayload",
          createdDefinition: null,
          userErrors: [
            {
              __typename: "MetafieldDefinitionCreateUserError",
              field: ["definition", field],
              message,
              code,
              elementIndex: null,
              elementKey: null,
            },
          ],
        });
        if (!/^[a-zA-Z0-9_-]{2,64}$/.test(d.key))
          return err("key", "Key is too short (minimum is 2 characters)", d.key.length < 2 ? "TOO_SHORT" : "INVALID_CHARACTER");
        if (!d.name?.trim()) return err("name", "Name can't be blank", "BLANK");
        if (!SUPPORTED_TYPES.has(d.type)) return err("type", `Type name ${d.type} is not a valid type.`, "INCLUSION");
        if (store.definitions.some((x) => x.ownerType === d.ownerType && x.namespace === namespace && x.key === d.key)) {
          return err(
            "key",
            `Key is in use for ${d.ownerType.charAt(0)}${d.ownerType.slice(1).toLowerCase()} metafields on the '${namespace}' namespace.`,
            "TAKEN",
          );
        }
        const def: StoredDefinition = {
          id: `gid://shopify/MetafieldDefinition/${1000 + store.definitions.length + 1}`,
          name: d.name,
          namespace,
          key: d.key,
          type: d.type,
          ownerType: d.ownerType,
          description: d.description ?? null,
          storefront: d.access?.storefront ?? "NONE",
          createdAt: iso(ctx.now()),
        };
        store.definitions.push(def);
        return { __typename: "MetafieldDefinitionCreatePayload", createdDefinition: definitionView(def), userErrors: [] };
      },
      { scope: "write_customers" },
    );

    r.field(
      "Mutation",
      "metafieldsSet",
      (_s, a: { metafields: any[] }, ctx) => {
        // Live recording 2025-01/products/metafields-set-over-limit-parity.json: 26 entries answer a
        // userError on the whole list (not a top-level error), metafields null, nothing written.
        if (a.metafields.length > METAFIELDS_SET_LIMIT) {
          return {
            __typename: "MetafieldsSetPayload",
            metafields: null,
            userErrors: [
              {
                __typename: "MetafieldsSetUserError",
                field: ["metafields"],
                message: `Exceeded the maximum metafields input limit of ${METAFIELDS_SET_LIMIT}.`,
                code: "LESS_THAN_OR_EQUAL_TO",
                elementIndex: null,
              },
            ],
          };
        }
        const store = metafieldStore(ctx.shop);
        const userErrors: any[] = [];
        const prepared = a.metafields.map((m, i) => {
          const ue = (field: string, message: string, code: string) =>
            userErrors.push({
              __typename: "MetafieldsSetUserError",
              field: ["metafields", String(i), field],
              message,
              code,
              elementIndex: i,
            });
          const namespace = resolveNamespace(m.namespace);
          const def = store.definitions.find(
            (d) => d.ownerType === ownerTypeOf(String(m.ownerId)) && d.namespace === namespace && d.key === m.key,
          );
          const existing = store.values[valueKey(m.ownerId, namespace, m.key)];
          const type: string | undefined = m.type ?? def?.type ?? existing?.type;
          if (!ownerExists(ctx, m.ownerId)) ue("ownerId", "Owner does not exist.", "INVALID");
          else if (!/^[a-zA-Z0-9_-]{2,64}$/.test(m.key))
            ue("key", "Key must be 2-64 characters and use only letters, numbers, hyphens and underscores.", "INVALID");
          else if (!type) ue("type", "Type can't be blank", "BLANK");
          else if (!SUPPORTED_TYPES.has(type)) ue("type", `${type} is not a valid type.`, "INCLUSION");
          else if (def && type !== def.type)
            ue("type", `Type '${type}' must be consistent with the definition's type: '${def.type}'.`, "INVALID_TYPE");
          else {
            const bad = validateValue(type, m.value);
            if (bad) ue("value", bad, "INVALID_VALUE");
          }
          return { ownerId: m.ownerId as string, namespace, key: m.key as string, type: type ?? "", value: m.value as string };
        });
        // Atomic: one invalid element and nothing is written.
        if (userErrors.length) return { __typename: "MetafieldsSetPayload", metafields: [], userErrors };
        const now = iso(ctx.now());
        const out = prepared.map((p) => {
          const k = valueKey(p.ownerId, p.namespace, p.key);
          const prev = store.values[k];
          const m: StoredMetafield = prev
            ? { ...prev, type: p.type, value: p.value, updatedAt: prev.value === p.value ? prev.updatedAt : now }
            : {
                id: `gid://shopify/Metafield/${31_000_000 + store.nextId++}`,
                ownerId: p.ownerId,
                namespace: p.namespace,
                key: p.key,
                type: p.type,
                value: p.value,
                createdAt: now,
                updatedAt: now,
              };
          store.values[k] = m;
          return metafieldView(m);
        });
        return { __typename: "MetafieldsSetPayload", metafields: out, userErrors: [] };
      },
      { scope: "write_customers" },
    );

    r.field(
      "Mutation",
      "metafieldsDelete",
      (_s, a: { metafields: any[] }, ctx) => {
        if (a.metafields.length > 250) {
          throw new GraphQLError(`The input array size of ${a.metafields.length} is greater than the maximum allowed of 250.`, {
            extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" },
          });
        }
        const store = metafieldStore(ctx.shop);
        const deleted = a.metafields.map((m) => {
          const namespace = resolveNamespace(m.namespace);
          const k = valueKey(m.ownerId, namespace, m.key);
          if (!store.values[k]) return null;
          delete store.values[k];
          return { __typename: "MetafieldIdentifier", ownerId: m.ownerId, namespace, key: m.key };
        });
        return { __typename: "MetafieldsDeletePayload", deletedMetafields: deleted, userErrors: [] };
      },
      { scope: "write_customers" },
    );

    const ofCustomer = (c: { id: string }, ctx: RequestContext) =>
      Object.values(metafieldStore(ctx.shop).values).filter((m) => m.ownerId === c.id);
    const metafieldOf = (ownerId: string, a: { namespace?: string | null; key: string }, ctx: RequestContext) => {
      const m = metafieldStore(ctx.shop).values[valueKey(ownerId, resolveNamespace(a.namespace), a.key)];
      return m ? metafieldView(m) : null;
    };
    r.type("Shop", { metafield: (s: { id: string }, a: { namespace?: string | null; key: string }, ctx) => metafieldOf(s.id, a, ctx) });
    r.type(
      "Customer",
      {
        metafield: (c, a: { namespace?: string | null; key: string }, ctx) => metafieldOf(c.id, a, ctx),
        metafields: (c, a: { first?: number | null; namespace?: string | null; keys?: string[] | null }, ctx) => {
          if (a.first == null) throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
          // keys are "namespace.key" (the namespace may use the $app prefix)
          const keys = a.keys?.map((k) => {
            const dot = k.lastIndexOf(".");
            return `${resolveNamespace(k.slice(0, dot))}.${k.slice(dot + 1)}`;
          });
          const ns = a.namespace != null ? resolveNamespace(a.namespace) : null;
          const list = ofCustomer(c, ctx)
            .filter((m) => (ns == null || m.namespace === ns) && (!keys || keys.includes(`${m.namespace}.${m.key}`)))
            .sort((x, y) => x.id.localeCompare(y.id))
            .slice(0, a.first)
            .map(metafieldView);
          const cursor = (m: { id: string }) => Buffer.from(JSON.stringify({ last_id: m.id })).toString("base64");
          return {
            __typename: "MetafieldConnection",
            nodes: list,
            edges: list.map((n) => ({ __typename: "MetafieldEdge", node: n, cursor: cursor(n) })),
            pageInfo: {
              __typename: "PageInfo",
              hasNextPage: false,
              hasPreviousPage: false,
              startCursor: list[0] ? cursor(list[0]) : null,
              endCursor: list.length ? cursor(list[list.length - 1]!) : null,
            },
          };
        },
      },
      { scope: "read_customers" },
    );
  },
};
