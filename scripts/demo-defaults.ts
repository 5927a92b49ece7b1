// The demo's shop (`npm run demo` without options), shared with the test that proves an offer
// experiment names its best offer on this shop (test/e2e/experiment-demo.test.ts, ADR 109).
export const DEMO_DEFAULTS = { shop: "winback-demo.myshopify.com", customers: 3000, years: 4, seed: 42 } as const;
