/**
 * Points: loyalty metafields on customers in the app-reserved namespace `$app:loyalty` (Shopify
 * resolves it to `app--{app id}--loyalty`; the theme extension reads it as `$app:loyalty`), and the
 * single-use discount code a redemption hands out.
 */
export const POINTS_METAFIELD_DEFINITION_CREATE = `#graphql
  mutation PointsMetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
    metafieldDefinitionCreate(definition: $definition) {
      createdDefinition {
        id
        namespace
        key
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/** The shop's id (owner of the reward-rate metafield) and the rate published last. */
export const POINTS_SHOP_REWARD_QUERY = `#graphql
  query PointsShopReward($namespace: String!) {
    shop {
      id
      reward: metafield(namespace: $namespace, key: "reward") {
        jsonValue
      }
    }
  }
`;

export const POINTS_METAFIELDS_SET = `#graphql
  mutation PointsMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields {
        key
        value
      }
      userErrors {
        field
        message
        code
        elementIndex
      }
    }
  }
`;

export const POINTS_METAFIELDS_DELETE = `#graphql
  mutation PointsMetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
    metafieldsDelete(metafields: $metafields) {
      deletedMetafields {
        key
        namespace
        ownerId
      }
      userErrors {
        field
        message
      }
    }
  }
`;

export const POINTS_DISCOUNT_CREATE = `#graphql
  mutation PointsDiscountCreate($discount: DiscountCodeBasicInput!) {
    discountCodeBasicCreate(basicCodeDiscount: $discount) {
      codeDiscountNode {
        id
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/** After a crash between creating the code and recording it: is the code already in Shopify? */
export const POINTS_DISCOUNT_BY_CODE = `#graphql
  query PointsDiscountByCode($code: String!) {
    codeDiscountNodeByCode(code: $code) {
      id
    }
  }
`;


/** The mutation each line of the bulk upload runs (the line holds its `metafields` variable). */
export const POINTS_METAFIELDS_SET_BULK_LINE = `#graphql
  mutation PointsMetafieldsSetBulkLine($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields {
        key
      }
      userErrors {
        field
        message
        code
        elementIndex
      }
    }
  }
`;
