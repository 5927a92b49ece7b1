// Protected customer data: what an app sees before Shopify approved its request.
//
// Source: shopify.dev "Work with protected customer data" (docs/apps/launch/protected-customer-data):
// level 1 = customer data EXCLUDING name, address, phone and email fields; level 2 = including those
// fields (each of name / email / phone / address is approved separately). "GraphQL requests to
// unapproved types will return an HTTP 200 Ok response with an error message in the errors hash";
// unapproved fields are redacted: the page's Admin API example answers `phone: null` plus an error
// "This app is not approved to access the Customer object. See … for more details." whose path ends at
// the field. The changelog "displayName no longer exposes unapproved email or phone" (2026-12-01):
// displayName returns "•••" when the app may not read the value it would show.
// The `ACCESS_DENIED` extension code is not in the docs example; apps in the wild match on it next to
// the message (public GitHub code), so the emulator sends both.
import { GraphQLError, getNamedType, type GraphQLOutputType } from "graphql";
import type { RequestContext } from "./engine";

export type ProtectedField = "name" | "email" | "phone" | "address";
export const PROTECTED_FIELDS: readonly ProtectedField[] = ["name", "email", "phone", "address"];

/**
 * `"none"`: not approved for protected customer data at all (the Customer object is denied);
 * `"level1"`: customer data without name, email, phone and address; `"level2"`: everything (default);
 * `{ level: "level2", fields }`: level 2 for the listed fields only.
 */
export type ProtectedCustomerDataOption = "none" | "level1" | "level2" | { level: "level2"; fields: ProtectedField[] };

export interface ProtectedCustomerDataAccess {
  level: 0 | 1 | 2;
  fields: ReadonlySet<ProtectedField>;
}

export const FULL_ACCESS: ProtectedCustomerDataAccess = { level: 2, fields: new Set(PROTECTED_FIELDS) };

export function parseProtectedCustomerData(o: ProtectedCustomerDataOption | undefined): ProtectedCustomerDataAccess {
  if (o === undefined || o === "level2") return FULL_ACCESS;
  if (o === "none") return { level: 0, fields: new Set() };
  if (o === "level1") return { level: 1, fields: new Set() };
  if (typeof o === "object" && o.level === "level2" && Array.isArray(o.fields) && o.fields.every((f) => PROTECTED_FIELDS.includes(f))) {
    return { level: 2, fields: new Set(o.fields) };
  }
  throw new Error(
    `protectedCustomerData must be "none", "level1", "level2" or { level: "level2", fields: [${PROTECTED_FIELDS.join(", ")}] }`,
  );
}

export const fullyApproved = (a: ProtectedCustomerDataAccess) => a.level === 2 && a.fields.size === PROTECTED_FIELDS.length;

/** Types that ARE the Customer object for this rule (denied whole when the app has level 0). */
const CUSTOMER_OBJECT_TYPES = new Set(["Customer", "CustomerConnection", "CustomerSegmentMember", "CustomerSegmentMemberConnection"]);

/** Protected fields per type (the subset of the schema the app and the emulator use). */
const PROTECTED: Record<string, Record<string, ProtectedField>> = {
  Customer: {
    firstName: "name",
    lastName: "name",
    email: "email",
    defaultEmailAddress: "email",
    phone: "phone",
    defaultPhoneNumber: "phone",
    defaultAddress: "address",
    addresses: "address",
    addressesV2: "address",
  },
  CustomerSegmentMember: {
    firstName: "name",
    lastName: "name",
    defaultEmailAddress: "email",
    defaultPhoneNumber: "phone",
    defaultAddress: "address",
  },
  Order: { email: "email", phone: "phone", billingAddress: "address", shippingAddress: "address" },
};

export function customerObjectDenied(ctx: RequestContext): boolean {
  return ctx.shop.protectedCustomerData.level === 0;
}

export function protectedDataError(path?: readonly (string | number)[]) {
  return new GraphQLError(
    "This app is not approved to access the Customer object. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details.",
    {
      path,
      extensions: { code: "ACCESS_DENIED" },
    },
  );
}

/**
 * What the rule does to `typeName.fieldName`: "deny" (null + error), "mask" (displayName "•••") or
 * null (serve it). `returnType` lets level 0 deny any field that returns the Customer object.
 */
export function protectedRule(
  ctx: RequestContext,
  typeName: string,
  fieldName: string,
  returnType?: GraphQLOutputType,
): "deny" | "mask" | null {
  const access = ctx.shop.protectedCustomerData;
  if (fullyApproved(access)) return null;
  if (access.level === 0 && returnType && CUSTOMER_OBJECT_TYPES.has(getNamedType(returnType).name)) return "deny";
  if (fieldName === "displayName" && (typeName === "Customer" || typeName === "CustomerSegmentMember"))
    return access.fields.has("name") ? null : "mask";
  const field = PROTECTED[typeName]?.[fieldName];
  if (field && !(access.level === 2 && access.fields.has(field))) return "deny";
  return null;
}

/** displayName without approval for the value it would show (changelog 2026-12-01). */
export const MASKED_DISPLAY_NAME = "•••";
