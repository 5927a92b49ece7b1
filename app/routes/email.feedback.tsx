import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { database } from "../db.server";
import { AppError, httpStatusFor } from "../lib/errors";
import { FEEDBACK_SIGNATURE_HEADER, receiveFeedback } from "../messaging/feedback";
import { suppressDeps } from "../messaging/index.server";

/**
 * Complaint and bounce reports from the mail relay / ESP: `POST {type, messageId}` signed with
 * `X-Winback-Signature: hex(HMAC-SHA256(SHOPIFY_API_SECRET, raw body))`. 401 for a bad signature,
 * 400 for a malformed body, 404 for a message we never sent; a redelivery answers 200 again.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return json({ error: "POST only" }, { status: 405 });
  await database.ready();
  const raw = await request.text();
  try {
    const r = await receiveFeedback(suppressDeps(), raw, request.headers.get(FEEDBACK_SIGNATURE_HEADER));
    return json({ ok: true, ...r });
  } catch (e) {
    if (e instanceof AppError && e.code !== "INTERNAL") return json({ error: e.message }, { status: httpStatusFor(e.code) });
    throw e;
  }
}

export async function loader() {
  return json({ error: "POST only" }, { status: 405 });
}
