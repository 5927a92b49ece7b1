/**
 * Orders: the order sync's bulk query (its customers query is in customers.ts). Both are whole
 * documents (validated against 2026-10 like every other document); `"__FILTER__"` is replaced by a search filter (delta syncs) or removed.
 * Lines come out as JSONL: one object per order / customer, line items as separate lines with
 * `__parentId` (see app/shopify/bulk/records.ts for the line shapes).
 */
export const ORDERS_BULK_QUERY = `#graphql
  query OrdersBulk {
    orders(query: "__FILTER__") {
      edges {
        node {
          id
          name
          processedAt
          createdAt
          updatedAt
          cancelledAt
          test
          displayFinancialStatus
          currentTotalPriceSet {
            shopMoney {
              amount
              currencyCode
            }
          }
          totalPriceSet {
            shopMoney {
              amount
            }
          }
          discountCodes
          customer {
            id
          }
          lineItems {
            edges {
              node {
                id
                quantity
                product {
                  id
                  productType
                  vendor
                  title
                }
                variant {
                  id
                }
                originalUnitPriceSet {
                  shopMoney {
                    amount
                    currencyCode
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`;
