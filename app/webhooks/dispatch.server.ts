import { authenticate } from "../shopify.server";
import { database } from "../db.server";
import { AppError, httpStatusFor, isAppError } from "../lib/errors";
import { webhookHandlers } from "./handlers.server";

/**
 * Every webhook route goes through here: HMAC check (authenticate.webhook answers 401 on a forged
 * one), de-duplication by X-Shopify-Webhook-Id, then the topic's handler. A handler failure answers
 * 500 so Shopify retries; the delivery is recorded only after the handler succeeded.
 */
export async function receiveWebhook(request: Request): Promise<Response> {
  const ctx = await authenticate.webhook(request);
  const { shop, topic, payload, webhookId } = ctx;
  await database.ready();
  const prisma = database.prisma;
  if (webhookId && (await prisma.webhookEvent.findUnique({ where: { webhookId } }))) {
    return new Response(null, { status: 200 });
  }
  const handler = webhookHandlers[topic];
  if (!handler) {
    console.warn(`[webhooks] no handler for ${topic}`);
    return new Response(null, { status: 200 });
  }
  try {
    await handler({ shop, topic, payload, webhookId, session: ctx.session ?? undefined, db: database });
  } catch (e) {
    // A malformed body will never parse: acknowledge so Shopify stops retrying, but say so loudly.
    if (isAppError(e, "INVALID_INPUT")) {
      console.error(`[webhooks] ${topic} from ${shop} rejected: ${e.message}`);
      return new Response(e.message, { status: 200 });
    }
    console.error(`[webhooks] ${topic} from ${shop} failed`, e);
    return new Response("handler failed", { status: e instanceof AppError ? httpStatusFor(e.code) : 500 });
  }
  if (webhookId) {
    await prisma.webhookEvent.createMany({ data: [{ webhookId, shop, topic }], skipDuplicates: true });
  }
  return new Response(null, { status: 200 });
}
