import { z } from "zod";
import {
  CODE_DISCOUNT_BY_CODE,
  DISCOUNT_CODE_BASIC_CREATE,
  DISCOUNT_CODE_DEACTIVATE,
  DISCOUNT_CODE_FREE_SHIPPING_CREATE,
} from "./documents/discounts";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Code discounts (DiscountCodeBasic): create one, find one by its code. */

/**
 * The DiscountCodeBasicInput fields the app sends (Shopify's input type; see the 2026-10 schema).
 * Typed here so a misspelt field fails the typecheck instead of the mutation.
 */
export interface BasicCodeDiscountInput {
  title: string;
  code: string;
  startsAt: string;
  endsAt?: string | null;
  /** DiscountContextInput: the campaign's segment, the one customer of a reward, or every buyer. */
  context: { customerSegments: { add: string[] } } | { customers: { add: string[] } } | { all: "ALL" };
  customerGets: {
    value: { percentage: number } | { discountAmount: { amount: string; appliesOnEachItem: boolean } };
    /**
     * DiscountItemsInput: every item, or only some collections or products (the code then does not
     * reduce any other line; that is how a shop "excludes" items from a code).
     */
    items: { all: boolean } | { collections: { add: string[] } } | { products: { productsToAdd: string[] } };
  };
  minimumRequirement?: { subtotal: { greaterThanOrEqualToSubtotal: string } };
  usageLimit?: number;
  appliesOncePerCustomer: boolean;
  combinesWith: { orderDiscounts: boolean; productDiscounts: boolean; shippingDiscounts: boolean };
}

const CreateResponse = z.object({
  discountCodeBasicCreate: z.object({ codeDiscountNode: z.object({ id: z.string() }).nullish(), userErrors: UserErrorListSchema }),
});

/** Creates a basic code discount; a taken code is the userError `TAKEN`. Returns the DiscountCodeNode id. */
export async function createBasicCodeDiscount(client: AdminClient, input: BasicCodeDiscountInput): Promise<Outcome<{ id: string }>> {
  const data = parseResponse(
    CreateResponse,
    await client.request(DISCOUNT_CODE_BASIC_CREATE, { basicCodeDiscount: input }),
    "discountCodeBasicCreate",
  );
  return outcome(data.discountCodeBasicCreate.codeDiscountNode, data.discountCodeBasicCreate.userErrors, "discountCodeBasicCreate");
}

/**
 * DiscountCodeFreeShippingInput as the app sends it: the basic code's terms without customerGets, and
 * free shipping to every destination (the recorded input `destination: { all: true }`; no maximum
 * shipping price, so the email's "free shipping" holds for any rate).
 */
export type FreeShippingCodeDiscountInput = Omit<BasicCodeDiscountInput, "customerGets"> & { destination: { all: true } };

const FreeShippingCreateResponse = z.object({
  discountCodeFreeShippingCreate: z.object({ codeDiscountNode: z.object({ id: z.string() }).nullish(), userErrors: UserErrorListSchema }),
});

/** Creates a free-shipping code discount; its userErrors come back as the Outcome's errors, never dropped. */
export async function createFreeShippingCodeDiscount(
  client: AdminClient,
  input: FreeShippingCodeDiscountInput,
): Promise<Outcome<{ id: string }>> {
  const data = parseResponse(
    FreeShippingCreateResponse,
    await client.request(DISCOUNT_CODE_FREE_SHIPPING_CREATE, { freeShippingCodeDiscount: input }),
    "discountCodeFreeShippingCreate",
  );
  return outcome(
    data.discountCodeFreeShippingCreate.codeDiscountNode,
    data.discountCodeFreeShippingCreate.userErrors,
    "discountCodeFreeShippingCreate",
  );
}

const ByCodeResponse = z.object({
  codeDiscountNodeByCode: z
    .object({
      id: z.string(),
      // Other discount types answer only their __typename (the document selects fields of DiscountCodeBasic and DiscountCodeFreeShipping).
      codeDiscount: z.object({ __typename: z.string(), title: z.string().nullish(), endsAt: z.string().nullish() }),
    })
    .nullable(),
});

export interface CodeDiscount {
  id: string;
  /** e.g. DiscountCodeBasic, DiscountCodeBxgy. */
  type: string;
  /** Set for DiscountCodeBasic and DiscountCodeFreeShipping only. */
  title: string | null;
  endsAt: string | null;
}

/** The code discount holding `code`, or null when no discount has it. */
export async function findCodeDiscount(client: AdminClient, code: string): Promise<CodeDiscount | null> {
  const node = parseResponse(
    ByCodeResponse,
    await client.request(CODE_DISCOUNT_BY_CODE, { code }),
    "codeDiscountNodeByCode",
  ).codeDiscountNodeByCode;
  if (!node) return null;
  return {
    id: node.id,
    type: node.codeDiscount.__typename,
    title: node.codeDiscount.title ?? null,
    endsAt: node.codeDiscount.endsAt ?? null,
  };
}

const DeactivateResponse = z.object({
  discountCodeDeactivate: z.object({
    codeDiscountNode: z.object({ id: z.string(), codeDiscount: z.object({ endsAt: z.string().nullish() }).passthrough() }).nullish(),
    userErrors: UserErrorListSchema,
  }),
});

/** Ends a code discount now (Shopify moves its endsAt to the present; an expired one is left as it is). */
export async function deactivateCodeDiscount(client: AdminClient, id: string): Promise<Outcome<{ id: string; endsAt: string | null }>> {
  const data = parseResponse(DeactivateResponse, await client.request(DISCOUNT_CODE_DEACTIVATE, { id }), "discountCodeDeactivate");
  const node = data.discountCodeDeactivate.codeDiscountNode;
  return outcome(
    node ? { id: node.id, endsAt: node.codeDiscount.endsAt ?? null } : null,
    data.discountCodeDeactivate.userErrors,
    "discountCodeDeactivate",
  );
}
