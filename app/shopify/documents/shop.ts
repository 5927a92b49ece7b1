/** Shop facts the app keeps: name, currency and time zone decide how orders are dated and valued. */
export const SHOP_OVERVIEW_QUERY = `#graphql
  query ShopOverview {
    shop {
      id
      name
      myshopifyDomain
      currencyCode
      ianaTimezone
      email
    }
    ordersCount(limit: null) {
      count
      precision
    }
    customersCount(limit: null) {
      count
      precision
    }
  }
`;

/**
 * The shop's identity for marketing email (docs/decisions/080-email-identity.md): the name, the
 * public contact email (replies) and the address "as it will appear to buyers" (`Shop.shopAddress`,
 * Admin API 2026-10 schema), which commercial email law asks every marketing email to carry.
 */
export const SHOP_EMAIL_IDENTITY_QUERY = `#graphql
  query ShopEmailIdentity {
    shop {
      name
      contactEmail
      shopAddress {
        company
        address1
        address2
        city
        province
        zip
        country
      }
    }
  }
`;
