import { PassThrough } from "stream";
import { renderToPipeableStream } from "react-dom/server";
import { RemixServer } from "@remix-run/react";
import { createReadableStreamFromReadable, type EntryContext } from "@remix-run/node";
import { isbot } from "isbot";
import { addDocumentResponseHeaders } from "./shopify.server";
import { startBackgroundWork } from "./app.server";
import { env } from "./env.server";
import { allowExtraFrameAncestors } from "./lib/frame-ancestors";

export const streamTimeout = 5000;

// Workers start with the server process (RUN_WORKERS=false turns them off for web-only instances).
startBackgroundWork();

/**
 * shopify-app-remix's document headers preload App Bridge from Shopify's CDN (a `Link` header),
 * whatever AppProvider's script then loads. With APP_BRIDGE_URL set, the page loads App Bridge from
 * there, so the preload names that URL instead: no request to the CDN, and no "preloaded but not
 * used" warning in the browser.
 */
function preloadConfiguredAppBridge(headers: Headers, appBridgeUrl: string | undefined): void {
  const link = headers.get("Link");
  if (!appBridgeUrl || !link?.includes("cdn.shopify.com/shopifycloud/app-bridge.js")) return;
  headers.set("Link", `<${appBridgeUrl}>; rel="preload"; as="script"`);
}

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
) {
  addDocumentResponseHeaders(request, responseHeaders);
  preloadConfiguredAppBridge(responseHeaders, env().APP_BRIDGE_URL);
  allowExtraFrameAncestors(responseHeaders, env().ADMIN_FRAME_ORIGINS);
  const userAgent = request.headers.get("user-agent");
  const callbackName = isbot(userAgent ?? "") ? "onAllReady" : "onShellReady";

  return new Promise((resolve, reject) => {
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      [callbackName]: () => {
        const body = new PassThrough();
        const stream = createReadableStreamFromReadable(body);
        responseHeaders.set("Content-Type", "text/html");
        resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error) {
        reject(error);
      },
      onError(error) {
        responseStatusCode = 500;
        console.error(error);
      },
    });
    setTimeout(abort, streamTimeout + 1000);
  });
}
