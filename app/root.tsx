import { Links, Meta, Outlet, Scripts, ScrollRestoration } from "@remix-run/react";
import { guardSessionStorage } from "./lib/storage-guard";

// Runs inline, before ScrollRestoration's own inline script and Remix's route discovery read
// sessionStorage: inside the admin iframe, a browser that blocks third-party storage throws there.
const STORAGE_GUARD = `(${guardSessionStorage.toString()})();`;

export default function App() {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <link rel="preconnect" href="https://cdn.shopify.com/" />
        <script dangerouslySetInnerHTML={{ __html: STORAGE_GUARD }} />
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
