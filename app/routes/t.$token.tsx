import type { LoaderFunctionArgs } from "@remix-run/node";
import { database } from "../db.server";
import { textError } from "../lib/http";
import { messaging, tokenScope } from "../app.server";
import { recordClick } from "../messaging/engagement";

/**
 * Click redirect of a link in a Winback email (docs/decisions/093-engagement-tracking.md). Public:
 * the signed token is the authority and names the only place this route redirects to, so it is
 * never an open redirect. A forged or damaged token is a 400 that says so, and records nothing.
 */
const HEADERS = { "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex" };

export async function loader({ request, params }: LoaderFunctionArgs) {
  await database.ready();
  const token = params.token ?? "";
  const r = await tokenScope("click", token, () => recordClick(messaging.engagementDeps(), token, request.headers.get("User-Agent")));
  if (r.status === 400) return textError(400, r.error, HEADERS);
  return new Response(null, { status: 302, headers: { ...HEADERS, Location: r.location } });
}
