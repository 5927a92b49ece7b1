import type { Session } from "@shopify/shopify-api";
import type { Database } from "../db/open";
import { AppError } from "../lib/errors";

export interface WebhookContext {
  shop: string;
  topic: string;
  payload: unknown;
  webhookId: string;
  session?: Session;
  db: Database;
}

export type WebhookHandler = (ctx: WebhookContext) => Promise<void>;

/** Topic (as authenticate.webhook names it, e.g. ORDERS_CREATE) to handler. */
export type WebhookHandlers = Record<string, WebhookHandler>;

/**
 * The app's handler map, from each part's own map (install, compliance, sync). The composition
 * root (app/app.server.ts) calls this; this file imports no feature. A topic claimed by two parts
 * is a wiring mistake: one would silently replace the other, so it fails at start instead.
 */
export function combineWebhookHandlers(...parts: WebhookHandlers[]): WebhookHandlers {
  const out: WebhookHandlers = {};
  for (const part of parts) {
    for (const [topic, handler] of Object.entries(part)) {
      if (Object.hasOwn(out, topic)) throw new AppError("CONFIG", `Two webhook handlers for ${topic}`);
      out[topic] = handler;
    }
  }
  return out;
}
