/**
 * Code discounts: a campaign's code (limited to its segment) and a points reward's single-use code
 * (limited to one customer) are both DiscountCodeBasic, created and looked up with these documents.
 */
export const CODE_DISCOUNT_BY_CODE = `#graphql
  query CodeDiscountByCode($code: String!) {
    codeDiscountNodeByCode(code: $code) {
      id
      codeDiscount {
        __typename
        ... on DiscountCodeBasic {
          title
          endsAt
        }
        ... on DiscountCodeFreeShipping {
          title
          endsAt
        }
      }
    }
  }
`;

export const DISCOUNT_CODE_BASIC_CREATE = `#graphql
  mutation DiscountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
    discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
      codeDiscountNode {
        id
      }
      userErrors {
        field
        message
        code
        extraInfo
      }
    }
  }
`;

/**
 * An offer experiment's free-shipping arm (ADR 099): DiscountCodeFreeShippingInput as recorded live in
 * airhorns/shopify-draft-proxy discount-free-shipping-lifecycle.json.
 */
export const DISCOUNT_CODE_FREE_SHIPPING_CREATE = `#graphql
  mutation DiscountCodeFreeShippingCreate($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) {
    discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
      codeDiscountNode {
        id
      }
      userErrors {
        field
        message
        code
        extraInfo
      }
    }
  }
`;

/** Ends a code discount now (a campaign the merchant stopped). */
export const DISCOUNT_CODE_DEACTIVATE = `#graphql
  mutation DiscountCodeDeactivate($id: ID!) {
    discountCodeDeactivate(id: $id) {
      codeDiscountNode {
        id
        codeDiscount {
          ... on DiscountCodeBasic {
            endsAt
          }
          ... on DiscountCodeFreeShipping {
            endsAt
          }
        }
      }
      userErrors {
        field
        message
        code
        extraInfo
      }
    }
  }
`;
