import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { database } from "../db.server";
import { AppError, isAppError } from "../lib/errors";
import { suppressDeps } from "../app.server";
import { unsubscribeWithToken } from "../messaging/unsubscribe";

/**
 * The `List-Unsubscribe` target (RFC 8058). A resource route on purpose: mailbox providers POST
 * from their own servers with whatever Origin they like, and Remix's CSRF check on document
 * actions would refuse a foreign Origin; here the signed token is the only credential. The POST
 * needs nothing but the token and answers 200 (also when repeated). GET never unsubscribes (link
 * scanners prefetch): it sends people to the confirmation page.
 */
const HEADERS = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Robots-Tag": "noindex" };

export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return new Response("POST only", { status: 405, headers: HEADERS });
  await database.ready();
  try {
    await unsubscribeWithToken(suppressDeps(), params.token ?? "", "one_click");
    return new Response("Unsubscribed.", { status: 200, headers: HEADERS });
  } catch (e) {
    if (!(e instanceof AppError) || !["INVALID_INPUT", "UNAUTHENTICATED"].includes(e.code)) throw e;
    return new Response(e.message, { status: isAppError(e, "UNAUTHENTICATED") ? 403 : 400, headers: HEADERS });
  }
}

export async function loader({ params }: LoaderFunctionArgs) {
  return redirect(`/unsubscribe/${encodeURIComponent(params.token ?? "")}`, { headers: { "Cache-Control": "no-store" } });
}
