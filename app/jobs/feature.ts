import type { JobDefinition } from "./queue";

/** An order that changed in the app's database (webhook applied, newer than what was stored). */
export interface OrderChanged {
  shop: string;
  /** Shopify legacy ids as exact decimal strings. */
  orderId: string;
  customerId: string | null;
  /** Set when the change moved the order away from another customer (whose figures changed too). */
  previousCustomerId?: string | null;
}

/**
 * What a product feature (analysis, campaigns, outreach, points) plugs into the app's background
 * work. Handlers run outside requests; they must import their heavy wiring lazily (`await
 * import(...)`) because shopify.server imports the composition root that lists the features.
 */
export interface Feature {
  name: string;
  jobs?: JobDefinition[];
  /** After each authentication of a shop (install, re-auth). */
  afterInstall?: (shop: string) => Promise<void>;
  /** After a sync run merged completely (initial or delta). */
  onSyncCompleted?: (shop: string) => Promise<void>;
  /** After an orders/create or orders/updated webhook changed the stored order. */
  onOrderChanged?: (event: OrderChanged) => Promise<void>;
}

/** Runs one hook of every feature; one feature failing does not stop the others, but the error is rethrown. */
export async function runFeatureHooks<K extends "afterInstall" | "onSyncCompleted" | "onOrderChanged">(
  features: Feature[],
  hook: K,
  arg: Parameters<NonNullable<Feature[K]>>[0],
): Promise<void> {
  const errors: unknown[] = [];
  for (const f of features) {
    const fn = f[hook] as ((a: typeof arg) => Promise<void>) | undefined;
    if (!fn) continue;
    try {
      await fn(arg);
    } catch (e) {
      console.error(`[features] ${f.name}.${hook} failed`, e);
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
}
