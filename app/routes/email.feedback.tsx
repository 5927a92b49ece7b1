import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { database } from "../db.server";
import { env } from "../env.server";
import { errorResponse, jsonError } from "../lib/http";
import { FEEDBACK_SIGNATURE_HEADER, receiveFeedback } from "../messaging/feedback";
import { suppressDeps } from "../app.server";
import { BodyTooLarge, readBodyCapped } from "../webhooks/boundary";

const MAX_FEEDBACK_BYTES = 64 * 1024;

/**
 * Complaint and bounce reports from the mail relay / ESP: `POST {type, messageId}` signed with
 * `X-Winback-Signature: hex(HMAC-SHA256(MAIL_RELAY_SECRET, "winback-mail-feedback:" + raw body))`.
 * 503 while MAIL_RELAY_SECRET is unset (nothing can be verified), 401 for a bad signature, 400 for
 * a malformed body, 404 for a message we never sent, 413 above 64 KB; a redelivery answers 200 again.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return jsonError(405, "POST only");
  const secret = env().MAIL_RELAY_SECRET;
  if (!secret) return jsonError(503, "Mail feedback is not configured: the server has no MAIL_RELAY_SECRET", { code: "CONFIG" });
  let raw: string;
  try {
    raw = await readBodyCapped(request, MAX_FEEDBACK_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLarge) return jsonError(413, e.message);
    throw e;
  }
  await database.ready();
  try {
    const r = await receiveFeedback({ ...suppressDeps(), secret }, raw, request.headers.get(FEEDBACK_SIGNATURE_HEADER));
    return json({ ok: true, ...r });
  } catch (e) {
    return errorResponse(e);
  }
}

export async function loader() {
  return jsonError(405, "POST only");
}
