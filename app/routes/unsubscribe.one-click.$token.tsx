import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { database } from "../db.server";
import { textError } from "../lib/http";
import { translate } from "../lib/i18n";
import { suppressDeps, tokenScope } from "../app.server";
import { unsubscribeFromPage } from "../messaging/page.server";

/**
 * The `List-Unsubscribe` target (RFC 8058). A resource route on purpose: mailbox providers POST
 * from their own servers with whatever Origin they like, and Remix's CSRF check on document
 * actions would refuse a foreign Origin; here the signed token is the only credential. The POST
 * needs nothing but the token and answers 200 (also when repeated). GET never unsubscribes (link
 * scanners prefetch): it sends people to the confirmation page.
 */
const HEADERS = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Robots-Tag": "noindex" };

export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return textError(405, "POST only", HEADERS);
  await database.ready();
  // The answer is read by a mailbox provider's server, or shown as is: the shop's customer language.
  const token = params.token ?? "";
  const r = await tokenScope("unsubscribe", token, () =>
    unsubscribeFromPage(suppressDeps(), token, "one_click", request.headers.get("Accept-Language")),
  );
  if (!r.data.ok) return textError(r.status, r.data.error, HEADERS);
  return new Response(translate(r.data.locale, "unsubscribe.oneClick.done"), { status: 200, headers: HEADERS });
}

export async function loader({ params }: LoaderFunctionArgs) {
  return redirect(`/unsubscribe/${encodeURIComponent(params.token ?? "")}`, { headers: { "Cache-Control": "no-store" } });
}
