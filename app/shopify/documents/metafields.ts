/**
 * Metafields: definitions (storefront access for the theme), the shop's and customers' values.
 * Points keep their values in the app-reserved namespace `$app:loyalty` (Shopify resolves it to
 * `app--{app id}--loyalty`; the theme extension reads it as `$app:loyalty`).
 */
export const METAFIELD_DEFINITION_CREATE = `#graphql
  mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
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

/** The shop's id (owner of shop metafields) and one shop metafield's value. */
export const SHOP_METAFIELD_QUERY = `#graphql
  query ShopMetafield($namespace: String!, $key: String!) {
    shop {
      id
      metafield(namespace: $namespace, key: $key) {
        jsonValue
      }
    }
  }
`;

export const METAFIELDS_SET = `#graphql
  mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
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

export const METAFIELDS_DELETE = `#graphql
  mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
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

/** The mutation each line of a bulk upload runs (the line holds its `metafields` variable). */
export const METAFIELDS_SET_BULK_LINE = `#graphql
  mutation MetafieldsSetBulkLine($metafields: [MetafieldsSetInput!]!) {
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
