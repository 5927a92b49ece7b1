import { escapeHtml as esc } from "../lib/html";

/**
 * Engagement tracking, the pure part (docs/decisions/093-engagement-tracking.md): rewriting an
 * email's links to signed redirects, the open pixel, the UTM parameters a click carries to the
 * storefront, and the rule that tells a person's open from a machine's. No I/O.
 */

/** How a request's User-Agent is classed; stored with each engagement row (never the raw string). */
export type UserAgentClass = "browser" | "mail_client" | "image_proxy" | "apple_mpp" | "bot" | "unknown";

/**
 * Machine opens. Sources: SocketLabs, "Identifying Apple MPP opens"
 * (https://help.socketlabs.com/docs/identifying-apple-mpp-opens-in-notification-api-events): Apple
 * Mail with Mail Privacy Protection downloads every image of a message through Apple's proxies as
 * soon as it lands, whether or not anyone reads it, and those requests carry a bare
 * "Mozilla/5.0" User-Agent with no browser engine; Suped, "What methods do ESPs use to identify
 * Apple MPP and GoogleProxyImages"
 * (https://www.suped.com/knowledge/email-deliverability/technical/what-methods-do-esps-and-smtp-providers-use-to-identify-apple-mpp-and-googleproxyimages):
 * Gmail fetches images through "GoogleImageProxy" (cached: a later read may not reach us at all),
 * and proxy prefetches arrive within seconds of delivery; Word to the Wise, "Apple MPP"
 * (https://wordtothewise.com/2021/09/apple-mpp/): an image load is not a read.
 * So an open is flagged `machine` when its User-Agent is a bare "Mozilla/5.0" (or empty), names an
 * image proxy (GoogleImageProxy, YahooMailProxy) or a bot/scanner, or when it comes within
 * MACHINE_OPEN_WINDOW_MS of the send. Flagged opens are stored (they still say the message was
 * delivered to a mailbox that loads images) but never count as interest; clicks are the signal.
 * Apple's proxy IP ranges are not checked: we keep no IP addresses.
 */
export const MACHINE_OPEN_WINDOW_MS = 5_000;

export function classifyUserAgent(ua: string | null | undefined): UserAgentClass {
  const s = (ua ?? "").trim();
  if (!s) return "unknown";
  if (/^Mozilla\/5\.0$/i.test(s)) return "apple_mpp";
  if (/GoogleImageProxy|YahooMailProxy|ggpht\.com|Yahoo! Slurp/i.test(s)) return "image_proxy";
  // Link scanners and fetchers (security gateways pre-click links; previews fetch them).
  if (/bot\b|crawler|spider|scanner|preview|curl\/|wget\/|python-|java\/|go-http-client|node-fetch|undici|axios/i.test(s)) return "bot";
  if (/Microsoft Outlook|Microsoft Office|Thunderbird|ms-office|Airmail/i.test(s)) return "mail_client";
  if (/AppleWebKit|Gecko\/|Chrome\/|Firefox\/|Safari\/|Trident\/|Edg\//i.test(s)) return "browser";
  return "unknown";
}

/** Whether an open is a machine's (see the sources above); `sentAt` null: the send time is unknown. */
export function isMachineOpen(uaClass: UserAgentClass, at: Date, sentAt: Date | null): boolean {
  if (uaClass === "apple_mpp" || uaClass === "image_proxy" || uaClass === "bot" || uaClass === "unknown") return true;
  return sentAt !== null && at.getTime() - sentAt.getTime() < MACHINE_OPEN_WINDOW_MS;
}

/**
 * A click is a machine's when a link scanner or fetcher made it (security gateways follow links
 * before the reader does). It is still redirected and stored, flagged, and not counted.
 */
export function isMachineClick(uaClass: UserAgentClass): boolean {
  return uaClass === "bot" || uaClass === "image_proxy" || uaClass === "apple_mpp";
}

/**
 * The UTM parameters a click adds to its target, the same values as the campaign's Shopify
 * marketing activity (app/campaigns/marketing-report.ts `marketingUtm`), so Shopify attributes the
 * visit and its orders to the activity. Parameters the link already has are kept as they are.
 */
export function withUtm(target: string, utm: { source: string; medium: string; campaign: string } | null): string {
  if (!utm) return target;
  const url = new URL(target);
  if (!url.searchParams.has("utm_source")) url.searchParams.set("utm_source", utm.source);
  if (!url.searchParams.has("utm_medium")) url.searchParams.set("utm_medium", utm.medium);
  if (!url.searchParams.has("utm_campaign")) url.searchParams.set("utm_campaign", utm.campaign);
  return url.toString();
}

const HTML_ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };
function unescapeAttr(s: string): string {
  return s.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (m) => HTML_ENTITIES[m]!);
}

/** The distinct http(s) link targets of an HTML body, in order of first appearance (index = position). */
export function linkTargets(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<a\b[^>]*?\bhref="([^"]*)"/gi)) {
    const target = unescapeAttr(m[1]!);
    if (/^https?:\/\//i.test(target) && !out.includes(target)) out.push(target);
  }
  return out;
}

/**
 * Rewrites every http(s) link of an email body (HTML hrefs, and the same URLs in the text part) to
 * its tracking URL, and appends the open pixel to the HTML. Call it on the body before the footer
 * is added: the unsubscribe link must stay a direct link (RFC 8058, and an unsubscribe must never
 * depend on the tracker). Links other than http(s) (mailto:, tel:) are left alone.
 */
export function trackEmail(
  body: { text: string; html: string },
  links: { targets: string[]; urlFor(index: number): string; pixelUrl: string | null },
): { text: string; html: string } {
  const byTarget = new Map(links.targets.map((t, i) => [t, links.urlFor(i)]));
  const html = body.html.replace(/(<a\b[^>]*?\bhref=")([^"]*)(")/gi, (m, pre: string, href: string, post: string) => {
    const tracked = byTarget.get(unescapeAttr(href));
    return tracked ? `${pre}${esc(tracked)}${post}` : m;
  });
  let text = body.text;
  // Longest first, so a target that is a prefix of another is not replaced inside it.
  for (const t of [...links.targets].sort((a, b) => b.length - a.length)) text = text.split(t).join(byTarget.get(t)!);
  const pixel = links.pixelUrl
    ? `<img src="${esc(links.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`
    : "";
  return { text, html: pixel ? `${html}\n${pixel}` : html };
}

/** A 1x1 transparent GIF (the smallest image every mail client renders). */
export const TRANSPARENT_GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
