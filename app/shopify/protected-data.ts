import { z } from "zod";
import { isAppError } from "../lib/errors";
import type { AdminClient } from "./graphql-client";

/** The top-level GraphQL errors graphqlErrors() keeps in AppError details. */
const ErrorDetailsSchema = z.object({
  errors: z.array(
    z.object({
      message: z.string(),
      path: z.array(z.union([z.string(), z.number()])).optional(),
      extensions: z.object({ code: z.string().optional() }).passthrough().optional(),
    }),
  ),
});
type GraphQLErrorLike = z.infer<typeof ErrorDetailsSchema>["errors"][number];

/**
 * Protected customer data (shopify.dev "Work with protected customer data"): until Shopify approves
 * the app's request, the Customer object (level 1) or its name, email, phone and address fields
 * (level 2, each approved separately) are withheld. A normal query answers HTTP 200 with the field
 * null and an error "This app is not approved to access the Customer object…" whose path ends at the
 * field; a bulk export has no per-field errors (the values are just null), and one over customers is
 * denied outright when the Customer object is. So the app asks once with a small query, reads which
 * paths were withheld, and tells the merchant what to request.
 */
export const PROTECTED_DATA_PROBE = `#graphql
  query ProtectedDataProbe {
    customers(first: 1) {
      nodes {
        id
        firstName
        lastName
        email
        phone
      }
    }
  }
`;

export type WithheldField = "customers" | "name" | "email" | "phone";

export interface ProtectedDataAccess {
  /** approved: nothing withheld; restricted: some fields withheld; denied: the Customer object is. */
  state: "approved" | "restricted" | "denied";
  withheld: WithheldField[];
  checkedAt: string;
}

const FIELD_OF: Record<string, WithheldField> = {
  customers: "customers",
  firstName: "name",
  lastName: "name",
  email: "email",
  phone: "phone",
};

function isProtectedDataError(e: GraphQLErrorLike): boolean {
  return /not approved to access/i.test(e.message) || e.extensions?.code === "ACCESS_DENIED";
}

/**
 * Asks Shopify which protected customer fields it withholds from this app. Errors other than the
 * protected-data ones (throttling, network, a missing read_customers scope shown differently) are
 * thrown: the caller shows nothing rather than a guess.
 */
export async function probeProtectedCustomerData(client: AdminClient, now: Date = new Date()): Promise<ProtectedDataAccess> {
  const checkedAt = now.toISOString();
  try {
    await client.request(PROTECTED_DATA_PROBE, {});
    return { state: "approved", withheld: [], checkedAt };
  } catch (e) {
    if (!isAppError(e, "SHOPIFY_GRAPHQL")) throw e;
    const details = ErrorDetailsSchema.safeParse(e.details);
    const errors = details.success ? details.data.errors : [];
    if (!errors.length || !errors.every(isProtectedDataError)) throw e;
    const withheld = new Set<WithheldField>();
    for (const err of errors) {
      const path = err.path ?? [];
      const last = [...path].reverse().find((p): p is string => typeof p === "string");
      const field = last ? FIELD_OF[last] : undefined;
      // An access error without a path we know (e.g. a whole-query denial) is the Customer object.
      withheld.add(field ?? "customers");
    }
    const list = [...withheld].sort();
    return { state: withheld.has("customers") ? "denied" : "restricted", withheld: list, checkedAt };
  }
}

/** How long a probe result is reused (approval is a manual process; a page load should not wait on it). */
export const PROTECTED_DATA_TTL_MS = 6 * 3600_000;

/** Where the last probe is kept (the Shop row: app/shop-settings.server.ts's protectedDataCache). */
export interface ProtectedDataCache {
  read(shop: string): Promise<{ access: ProtectedDataAccess | null; checkedAt: Date | null } | undefined>;
  write(shop: string, access: ProtectedDataAccess, at: Date): Promise<void>;
}

/**
 * The shop's protected-data access, probed at most every PROTECTED_DATA_TTL_MS and kept in the
 * cache. A failed probe returns the last known answer (or null) and is logged; the next load tries again.
 */
export async function protectedDataAccess(
  deps: { cache: ProtectedDataCache; client: (shop: string) => Promise<AdminClient>; now?: () => Date },
  shop: string,
  opts: { refresh?: boolean } = {},
): Promise<ProtectedDataAccess | null> {
  const now = (deps.now ?? (() => new Date()))();
  const row = await deps.cache.read(shop);
  const fresh = row?.checkedAt && now.getTime() - new Date(row.checkedAt).getTime() < PROTECTED_DATA_TTL_MS;
  if (row?.access && fresh && !opts.refresh) return row.access;
  try {
    const access = await probeProtectedCustomerData(await deps.client(shop), now);
    await deps.cache.write(shop, access, now);
    return access;
  } catch (e) {
    console.warn(`[protected-data] ${shop}: probe failed; showing the last known state`, e);
    return row?.access ?? null;
  }
}

/** What the merchant reads in the dashboard banner, or null when nothing is withheld. */
export function describeProtectedDataAccess(a: ProtectedDataAccess | null): { title: string; message: string } | null {
  if (!a || a.state === "approved") return null;
  if (a.state === "denied") {
    return {
      title: "Shopify has not approved Winback for protected customer data",
      message:
        "Shopify withholds your customers from Winback until its protected customer data request is approved, so customers cannot be synced, analysed or contacted. " +
        "Request access in the Partner Dashboard (App › API access › Protected customer data access: customer data, plus name, email and phone), then sync again. Orders already synced are kept.",
    };
  }
  const names = a.withheld.map((f) => (f === "name" ? "names" : f === "email" ? "email addresses" : f === "phone" ? "phone numbers" : f));
  return {
    title: `Shopify withholds customers' ${names.join(", ")} from Winback`,
    message:
      `Until Shopify approves the protected customer data fields (${a.withheld.join(", ")}), Winback ` +
      (a.withheld.includes("email") ? "cannot email customers (win-back and points emails are skipped) and " : "") +
      "shows customers without those details. Request access in the Partner Dashboard (App › API access › Protected customer data access), then sync again. Nothing already synced is lost.",
  };
}
