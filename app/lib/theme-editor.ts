/**
 * Shopify's deep link that opens the shop's theme editor on App embeds with one of ours ticked
 * (`activateAppId=<api key>/<block handle>`); nothing changes on the storefront until the merchant
 * presses Save there. The handle is the block's file name in extensions/points-expiry-banner/blocks/.
 */
export function themeEmbedUrl(shop: string, apiKey: string, handle: string): string {
  return `https://${shop}/admin/themes/current/editor?context=apps&activateAppId=${encodeURIComponent(apiKey)}/${handle}`;
}
