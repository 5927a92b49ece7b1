import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { env } from "../env.server";
import { adminScope, ensureShop } from "../app.server";
import { database } from "../db.server";
import { shopFacts } from "../shop-settings.server";
import { DEFAULT_LOCALE, formatContext } from "../lib/format";
import { FormatProvider } from "../components/FormatProvider";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session, admin }) => {
    // Idempotent shop initialisation: one indexed read when the shop is set up (install.server.ts).
    await ensureShop({ shop: session.shop, scope: session.scope, admin });
    const e = env();
    // Every page formats with the shop's currency and time zone, the same on the server and in the
    // browser (app/lib/format.ts). The app stores no shop locale yet, so the locale is explicit.
    const format = formatContext(await shopFacts(database.sql, session.shop), DEFAULT_LOCALE);
    return json({ apiKey: e.SHOPIFY_API_KEY, appBridgeUrl: e.APP_BRIDGE_URL ?? null, format });
  });

export default function App() {
  const { apiKey, appBridgeUrl, format } = useLoaderData<typeof loader>();
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} {...(appBridgeUrl ? { __APP_BRIDGE_URL: appBridgeUrl } : {})}>
      <NavMenu>
        <Link to="/app" rel="home">
          Home
        </Link>
        <Link to="/app/segments">Segments</Link>
        <Link to="/app/campaigns">Campaigns</Link>
        <Link to="/app/programs">Programs</Link>
        <Link to="/app/outreach">Outreach</Link>
        <Link to="/app/points">Points</Link>
        <Link to="/app/settings">Settings</Link>
      </NavMenu>
      <FormatProvider value={format}>
        <Outlet />
      </FormatProvider>
    </AppProvider>
  );
}

// Shopify needs Remix to catch some thrown responses so their headers reach the browser.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
