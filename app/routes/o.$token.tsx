import type { LoaderFunctionArgs } from "@remix-run/node";
import { database } from "../db.server";
import { messaging, tokenScope } from "../app.server";
import { recordOpen } from "../messaging/engagement";
import { TRANSPARENT_GIF } from "../messaging/tracking";

/**
 * Open pixel of a Winback email (docs/decisions/093-engagement-tracking.md): a 1x1 transparent GIF,
 * never cached (each load must reach us), recorded as an open; machine opens (Apple Mail Privacy
 * Protection, image proxies, loads seconds after the send) are stored flagged, not as interest
 * (the rule and its sources: app/messaging/tracking.ts). A forged token still gets the image, with
 * status 400, so a mail client shows nothing broken while nothing is recorded.
 */
const HEADERS = {
  "Content-Type": "image/gif",
  "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
  "X-Robots-Tag": "noindex",
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  await database.ready();
  const token = params.token ?? "";
  const r = await tokenScope("open", token, () => recordOpen(messaging.engagementDeps(), token, request.headers.get("User-Agent")));
  return new Response(new Uint8Array(TRANSPARENT_GIF), {
    status: r.status,
    headers: { ...HEADERS, "Content-Length": String(TRANSPARENT_GIF.length) },
  });
}
