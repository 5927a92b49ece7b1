import { json } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useLoaderData } from "@remix-run/react";
import { guardSessionStorage } from "./lib/storage-guard";
import { env } from "./env.server";

// Runs inline, before ScrollRestoration's own inline script and Remix's route discovery read
// sessionStorage: inside the admin iframe, a browser that blocks third-party storage throws there.
const STORAGE_GUARD = `(${guardSessionStorage.toString()})();`;

// App Bridge comes from Shopify's CDN unless APP_BRIDGE_URL points elsewhere (the emulator, a
// mirror); only then is a preconnect to the CDN worth its socket, and otherwise the page must not
// name Shopify's CDN at all.
export const loader = () => json({ preconnectShopifyCdn: !env().APP_BRIDGE_URL });

// Configuration does not change while the server runs: no need to ask again after actions.
export const shouldRevalidate = () => false;

export default function App() {
  const { preconnectShopifyCdn } = useLoaderData<typeof loader>();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        {preconnectShopifyCdn ? <link rel="preconnect" href="https://cdn.shopify.com/" /> : null}
        {/* The server's copy is the one that runs (inline, while the page parses). The client bundle
            holds the same function minified, so its source text differs; React need not compare it. */}
        <script suppressHydrationWarning dangerouslySetInnerHTML={{ __html: STORAGE_GUARD }} />
        <Meta />
        <Links />
      </head>
      <body>
        <Outlet />
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}
