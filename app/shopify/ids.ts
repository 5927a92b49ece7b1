/** The Admin API global id of a customer from its legacy (numeric) id; `shopifyNumericId` goes the other way. */
export const customerGid = (legacyId: string | number | bigint): string => `gid://shopify/Customer/${legacyId}`;
