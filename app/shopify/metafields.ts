import { z } from "zod";
import { startBulkMutation } from "./bulk/mutations";
import {
  METAFIELD_DEFINITION_CREATE,
  METAFIELDS_DELETE,
  METAFIELDS_SET,
  METAFIELDS_SET_BULK_LINE,
  SHOP_METAFIELD_QUERY,
} from "./documents/metafields";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Metafields: definitions, values of the shop and of customers, one by one or as a bulk mutation. */

/** metafieldsSet and metafieldsDelete take at most 25 entries per call (LESS_THAN_OR_EQUAL_TO beyond). */
export const METAFIELDS_PER_CALL = 25;

export interface MetafieldDefinitionInput {
  namespace: string;
  key: string;
  type: string;
  name: string;
  description?: string;
  ownerType: string;
  access?: { storefront?: "PUBLIC_READ" | "NONE"; admin?: string };
}

const DefinitionResponse = z.object({
  metafieldDefinitionCreate: z.object({ createdDefinition: z.object({ id: z.string() }).nullish(), userErrors: UserErrorListSchema }),
});

/** Creates a definition; an existing one is the userError `TAKEN` (callers treat it as done). */
export async function createMetafieldDefinition(
  client: AdminClient,
  definition: MetafieldDefinitionInput,
): Promise<Outcome<{ id: string }>> {
  const data = parseResponse(
    DefinitionResponse,
    await client.request(METAFIELD_DEFINITION_CREATE, { definition }),
    "metafieldDefinitionCreate",
  );
  return outcome(data.metafieldDefinitionCreate.createdDefinition, data.metafieldDefinitionCreate.userErrors, "metafieldDefinitionCreate");
}

const ShopMetafieldResponse = z.object({
  shop: z.object({ id: z.string(), metafield: z.object({ jsonValue: z.unknown() }).nullish() }),
});

/** The shop's id (owner of shop metafields) and one shop metafield's JSON value (null when unset). */
export async function readShopMetafield(
  client: AdminClient,
  input: { namespace: string; key: string },
): Promise<{ shopId: string; jsonValue: unknown }> {
  const data = parseResponse(ShopMetafieldResponse, await client.request(SHOP_METAFIELD_QUERY, input), "shop.metafield");
  return { shopId: data.shop.id, jsonValue: data.shop.metafield?.jsonValue ?? null };
}

export interface MetafieldsSetInput {
  ownerId: string;
  namespace: string;
  key: string;
  type: string;
  value: string;
}

const SetResponse = z.object({
  metafieldsSet: z.object({
    metafields: z.array(z.object({ key: z.string(), value: z.string().nullish() })).nullish(),
    userErrors: UserErrorListSchema,
  }),
});

/**
 * Writes up to 25 metafields, atomically: with any userError nothing is written. A userError's
 * `elementIndex` names the refused input (null when the whole call was refused).
 */
export async function setMetafields(client: AdminClient, metafields: MetafieldsSetInput[]): Promise<Outcome<Array<{ key: string }>>> {
  const data = parseResponse(SetResponse, await client.request(METAFIELDS_SET, { metafields }), "metafieldsSet");
  return outcome(
    data.metafieldsSet.metafields?.map((m) => ({ key: m.key })),
    data.metafieldsSet.userErrors,
    "metafieldsSet",
  );
}

export interface MetafieldIdentifier {
  ownerId: string;
  namespace: string;
  key: string;
}

const DeleteResponse = z.object({
  metafieldsDelete: z.object({
    // One entry per input, null where there was nothing to delete.
    deletedMetafields: z.array(z.object({ ownerId: z.string(), namespace: z.string(), key: z.string() }).nullable()).nullish(),
    userErrors: UserErrorListSchema,
  }),
});

/** Deletes up to 25 metafields; returns how many existed. */
export async function deleteMetafields(client: AdminClient, metafields: MetafieldIdentifier[]): Promise<Outcome<{ deleted: number }>> {
  const data = parseResponse(DeleteResponse, await client.request(METAFIELDS_DELETE, { metafields }), "metafieldsDelete");
  const deleted = data.metafieldsDelete.deletedMetafields;
  return outcome(
    deleted ? { deleted: deleted.filter((d) => d !== null).length } : null,
    data.metafieldsDelete.userErrors,
    "metafieldsDelete",
  );
}

export interface StartBulkMetafieldsSet {
  /** One metafieldsSet per line (each ≤ 25 metafields); results come back by line number. */
  lines: MetafieldsSetInput[][];
  filename: string;
  clientIdentifier: string;
  fetch?: typeof fetch;
}

/** metafieldsSet for every line as one bulk mutation; returns the operation id. */
export function startBulkMetafieldsSet(client: AdminClient, input: StartBulkMetafieldsSet): Promise<string> {
  return startBulkMutation(client, {
    mutation: METAFIELDS_SET_BULK_LINE,
    variables: input.lines.map((metafields) => ({ metafields })),
    filename: input.filename,
    clientIdentifier: input.clientIdentifier,
    fetch: input.fetch,
  });
}
