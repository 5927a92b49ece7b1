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
