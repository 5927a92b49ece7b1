// Admin GraphQL execution: validation against the official schema, per-field resolvers registered
// by feature modules, loud failures for unimplemented fields, and Shopify's cost calculation.
import {
  GraphQLError,
  Kind,
  execute,
  getNamedType,
  isAbstractType,
  isLeafType,
  isObjectType,
  isInterfaceType,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from "graphql";
import { MASKED_DISPLAY_NAME, fullyApproved, protectedDataError, protectedRule } from "./protected-data";
import { adminSchema } from "./schema";
import type { ShopState } from "./state";

export interface TokenInfo {
  token: string;
  shop: string;
  scopes: string[];
  online: boolean;
  userId?: number;
}

export interface RequestContext {
  shop: ShopState;
  token: TokenInfo;
  now: () => number;
  /** Emulator internals for modules that need more (bulk operations, webhooks). */
  services: Record<string, unknown>;
}

export type Resolver = (source: any, args: any, ctx: RequestContext, info: GraphQLResolveInfo | null) => unknown;
export interface FieldOptions {
  scope?: string;
}

export class Registry {
  readonly resolvers = new Map<string, { fn: Resolver; scope?: string }>();
  /** Streaming sources for bulk queries, keyed by QueryRoot field name. */
  readonly bulkSources = new Map<string, (ctx: RequestContext, args: any) => Iterable<unknown>>();
  readonly modules: string[] = [];

  field(type: string, name: string, fn: Resolver, opts: FieldOptions = {}) {
    const schema = adminSchema();
    const t = schema.getType(type);
    if (!t || !(isObjectType(t) || isInterfaceType(t)) || !t.getFields()[name]) {
      throw new Error(`Emulator module registers ${type}.${name}, which is not in the 2026-10 schema`);
    }
    this.resolvers.set(`${type}.${name}`, { fn, scope: opts.scope });
    return this;
  }
  type(type: string, fields: Record<string, Resolver>, opts: FieldOptions = {}) {
    for (const [k, fn] of Object.entries(fields)) this.field(type, k, fn, opts);
    return this;
  }
  bulkSource(rootField: string, fn: (ctx: RequestContext, args: any) => Iterable<unknown>) {
    this.bulkSources.set(rootField, fn);
  }
}

/** What a module's HTTP route sees (staged-upload targets, app proxy, storefront pages). */
export interface RouteContext {
  req: import("node:http").IncomingMessage;
  res: import("node:http").ServerResponse;
  url: URL;
  match: RegExpExecArray;
  /** The emulator's own origin, e.g. http://127.0.0.1:4100. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  appUrl?: string;
  now: () => number;
  /** The shop, or undefined when the domain is unknown. */
  shop(domain: string): ShopState | undefined;
  body(): Promise<Buffer>;
  send(status: number, body: unknown, headers?: Record<string, string>): void;
  deliverWebhook(shop: string, topic: string, payload: unknown): void;
  services: Record<string, unknown>;
}

export interface ModuleRoute {
  method: "GET" | "POST" | "PUT";
  /** Matched against the URL path; checked before the built-in per-shop routes. */
  path: RegExp;
  handle(ctx: RouteContext): Promise<void> | void;
}

export interface EmulatorModule {
  name: string;
  register(r: Registry): void;
  /** Plain HTTP routes the module serves (e.g. a staged-upload target). */
  routes?: ModuleRoute[];
}

export function hasScope(granted: string[], needed: string): boolean {
  if (granted.includes(needed)) return true;
  if (needed.startsWith("read_")) return granted.includes("write_" + needed.slice(5));
  return false;
}

export function accessDenied(field: string, scope: string, path?: readonly (string | number)[]) {
  return new GraphQLError(`Access denied for ${field} field. Required access: \`${scope}\` access scope.`, {
    path,
    extensions: {
      code: "ACCESS_DENIED",
      documentation: "https://shopify.dev/api/usage/access-scopes",
      requiredAccess: `\`${scope}\` access scope.`,
    },
  });
}

export function notImplemented(type: string, field: string) {
  return new GraphQLError(`Field ${type}.${field} is not implemented by the Shopify emulator`, { extensions: { code: "NOT_IMPLEMENTED" } });
}

/** Resolves one field: registered resolver, else an own property of the source, else a loud error. */
export function resolveField(
  registry: Registry,
  typeName: string,
  fieldName: string,
  source: any,
  args: any,
  ctx: RequestContext,
  info: GraphQLResolveInfo | null,
) {
  // Protected customer data not (fully) approved: deny or mask before resolving (protected-data.ts).
  if (!fullyApproved(ctx.shop.protectedCustomerData)) {
    const rule = protectedRule(ctx, typeName, fieldName, info?.returnType);
    if (rule === "mask") return MASKED_DISPLAY_NAME;
    if (rule === "deny") throw protectedDataError(info ? pathArray(info) : undefined);
  }
  const r = registry.resolvers.get(`${typeName}.${fieldName}`);
  if (r) {
    if (r.scope && !hasScope(ctx.token.scopes, r.scope)) throw accessDenied(fieldName, r.scope, info ? pathArray(info) : undefined);
    return r.fn(source, args, ctx, info);
  }
  if (source != null && typeof source === "object" && fieldName in source) {
    const v = source[fieldName];
    return typeof v === "function" ? v.call(source, args, ctx, info) : v;
  }
  throw notImplemented(typeName, fieldName);
}

function pathArray(info: GraphQLResolveInfo): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p: GraphQLResolveInfo["path"] | undefined = info.path; p; p = p.prev) out.unshift(p.key);
  return out;
}

// ---------------- cost ----------------

export const MAX_SINGLE_QUERY_COST = 1000;

function isConnectionType(t: GraphQLNamedType): t is GraphQLObjectType {
  return isObjectType(t) && t.name.endsWith("Connection") && !!t.getFields().edges && !!t.getFields().pageInfo;
}

function argNumber(node: FieldNode, name: string, vars: Record<string, unknown>): number | undefined {
  const a = node.arguments?.find((x) => x.name.value === name);
  if (!a) return undefined;
  const v = valueFromASTUntyped(a.value as ValueNode, vars);
  return typeof v === "number" ? v : undefined;
}

interface CostCtx {
  fragments: Record<string, FragmentDefinitionNode>;
  vars: Record<string, unknown>;
  schema: ReturnType<typeof adminSchema>;
}

/** Collects fields of a selection set (inlining fragments; type conditions are merged). */
function collect(sel: SelectionSetNode | undefined, c: CostCtx, out: FieldNode[] = []): FieldNode[] {
  if (!sel) return out;
  for (const s of sel.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet, c, out);
    else {
      const f = c.fragments[s.name.value];
      if (f) collect(f.selectionSet, c, out);
    }
  }
  return out;
}

function fieldDef(parent: GraphQLNamedType, name: string, c: CostCtx): GraphQLField<unknown, unknown> | undefined {
  if (isObjectType(parent) || isInterfaceType(parent)) return parent.getFields()[name];
  if (isAbstractType(parent)) {
    for (const t of c.schema.getPossibleTypes(parent)) {
      const f = t.getFields()[name];
      if (f) return f;
    }
  }
  return undefined;
}

/** Cost of a selection set on `parent`. With `data`, computes the actual cost from returned objects. */
function selectionCost(sel: SelectionSetNode | undefined, parent: GraphQLNamedType, c: CostCtx, data?: any, isActual = false): number {
  let total = 0;
  for (const f of collect(sel, c)) {
    const name = f.name.value;
    if (name.startsWith("__")) continue;
    let def = fieldDef(parent, name, c);
    if (!def && isAbstractType(parent)) {
      // field from a fragment on a concrete type
      for (const t of c.schema.getPossibleTypes(parent)) {
        def = t.getFields()[name];
        if (def) break;
      }
    }
    if (!def) continue;
    const named = getNamedType(def.type);
    if (isLeafType(named)) continue;
    const value = isActual ? data?.[f.alias?.value ?? name] : undefined;
    if (isActual && value == null) continue;
    if (isConnectionType(named)) {
      const inner = collect(f.selectionSet, c);
      const nodeType = getNamedType(
        named.getFields().nodes?.type ?? (getNamedType(named.getFields().edges!.type) as GraphQLObjectType).getFields().node!.type,
      );
      const perItem = (item: any) => {
        let best = 0;
        for (const g of inner) {
          if (g.name.value === "nodes") best = Math.max(best, 1 + selectionCost(g.selectionSet, nodeType, c, item, isActual));
          if (g.name.value === "edges") {
            for (const e of collect(g.selectionSet, c))
              if (e.name.value === "node") best = Math.max(best, 1 + selectionCost(e.selectionSet, nodeType, c, item, isActual));
          }
        }
        return best;
      };
      if (isActual) {
        const items: any[] = value.nodes ?? (value.edges ? value.edges.map((e: any) => e?.node) : []);
        total += 2 + items.reduce((s: number, it: any) => s + perItem(it), 0);
      } else {
        const n = argNumber(f, "first", c.vars) ?? argNumber(f, "last", c.vars) ?? 0;
        total += 2 + n * perItem(undefined);
      }
    } else if (isActual && Array.isArray(value)) {
      for (const v of value) total += 1 + selectionCost(f.selectionSet, named, c, v, true);
    } else {
      total += 1 + selectionCost(f.selectionSet, named, c, value, isActual);
    }
  }
  return total;
}

export function operationCost(op: OperationDefinitionNode, doc: DocumentNode, vars: Record<string, unknown>, data?: any): number {
  const schema = adminSchema();
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const c: CostCtx = { fragments, vars, schema };
  if (op.operation === "mutation") {
    // Every top-level mutation field costs 10 (payload selection is included in that price).
    return collect(op.selectionSet, c).filter((f) => !f.name.value.startsWith("__")).length * 10;
  }
  const root = schema.getQueryType()!;
  return selectionCost(op.selectionSet, root, c, data, data !== undefined);
}

// ---------------- request execution ----------------

export interface GraphQLRequestBody {
  query?: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const documentCache = new Map<string, { doc?: DocumentNode; errors?: GraphQLError[] }>();

/** Parses and validates with graphql-js; errors are rewritten to Shopify's (graphql-ruby) wording. */
export function parseAndValidate(query: string): { doc?: DocumentNode; errors?: any[] } {
  const hit = documentCache.get(query);
  if (hit) return hit;
  let res: { doc?: DocumentNode; errors?: any[] };
  try {
    const doc = parse(query);
    const errs = validate(adminSchema(), doc);
    res = errs.length ? { errors: errs.map(shopifyValidationError) } : { doc };
  } catch (e) {
    const ge = e as GraphQLError;
    res = {
      errors: [
        { message: ge.message.replace(/^Syntax Error: /, "syntax error, "), locations: ge.locations, extensions: { code: "PARSE_ERROR" } },
      ],
    };
  }
  if (documentCache.size > 500) documentCache.clear();
  documentCache.set(query, res);
  return res;
}

export function shopifyValidationError(e: GraphQLError) {
  const base = { locations: e.locations };
  let m = /^Cannot query field "(\w+)" on type "(\w+)"\./.exec(e.message);
  if (m)
    return {
      message: `Field '${m[1]}' doesn't exist on type '${m[2]}'`,
      ...base,
      extensions: { code: "undefinedField", typeName: m[2], fieldName: m[1] },
    };
  m = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"\./.exec(e.message);
  if (m)
    return {
      message: `Field '${m[3]}' doesn't accept argument '${m[1]}'`,
      ...base,
      extensions: { code: "argumentNotAccepted", name: m[3], typeName: "Field", argumentName: m[1] },
    };
  m = /^Field "(\w+)" argument "(\w+)" of type "(.+)" is required, but it was not provided\./.exec(e.message);
  if (m)
    return {
      message: `Field '${m[1]}' is missing required arguments: ${m[2]}`,
      ...base,
      extensions: { code: "missingRequiredArguments", className: "Field", name: m[1], arguments: m[2] },
    };
  m = /^Unknown type "(\w+)"\./.exec(e.message);
  if (m)
    return {
      message: `No such type ${m[1]}, so it can't be a fragment condition`,
      ...base,
      extensions: { code: "undefinedType", typeName: m[1] },
    };
  m = /^Field "(\w+)" of type "(.+)" must have a selection of subfields/.exec(e.message);
  if (m)
    return {
      message: `Field must have selections (field '${m[1]}' returns ${m[2].replace(/[![\]]/g, "")} but has no selections. Did you mean '${m[1]} { ... }'?)`,
      ...base,
      extensions: { code: "selectionMismatch", nodeName: `field '${m[1]}'`, typeName: m[2].replace(/[![\]]/g, "") },
    };
  m = /^Variable "\$(\w+)" is never used/.exec(e.message);
  if (m)
    return {
      message: `Variable $${m[1]} is declared by anonymous query but not used`,
      ...base,
      extensions: { code: "variableNotUsed", variableName: m[1] },
    };
  return { message: e.message, ...base, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } };
}

export function getOperation(doc: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return ops.find((o) => o.name?.value === operationName);
  return ops.length === 1 ? ops[0] : undefined;
}

export async function runGraphQL(registry: Registry, doc: DocumentNode, body: GraphQLRequestBody, ctx: RequestContext) {
  const result = await execute({
    schema: adminSchema(),
    document: doc,
    variableValues: body.variables ?? undefined,
    operationName: body.operationName ?? undefined,
    contextValue: ctx,
    rootValue: {},
    fieldResolver: (source, args, c, info) =>
      resolveField(registry, info.parentType.name, info.fieldName, source, args, c as RequestContext, info),
    typeResolver: (value: any) => value?.__typename,
  });
  return result;
}

export type { GraphQLInterfaceType };
