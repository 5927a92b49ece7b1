/**
 * Upper bounds of money and rate settings, in one place so forms, stored settings and the CLI agree.
 *
 * Shopify itself takes almost anything: a percentage discount must be within 0.0–1.0 and a fixed
 * amount below 10^18 (live recordings in airhorns/shopify-draft-proxy,
 * fixtures/conformance/harry-test-heelo.myshopify.com/2026-04/discounts/discount-value-bounds.json
 * "Value must be between 0.0 and 1.0", discount-numeric-bounds.json "Value must be greater than
 * -1000000000000000000" for amount 1e18). Those limits stop nothing a typo produces, so the app sets
 * its own: an amount of money typed by a merchant (fixed discount, minimum subtotal, what a points
 * reward is worth) is at most 1,000,000 in shop currency, and counts of things are at most 1,000,000.
 */
export const MAX_MONEY_AMOUNT = 1_000_000;
export const MAX_COUNT = 1_000_000;
