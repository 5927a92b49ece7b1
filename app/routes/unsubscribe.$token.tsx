import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { database } from "../db.server";
import { env } from "../env.server";
import { translator } from "../lib/i18n";
import { suppressDeps, tokenScope } from "../app.server";
import { loadUnsubscribePage, unsubscribeFromPage, type UnsubscribePageData } from "../messaging/page.server";

/**
 * Public unsubscribe endpoint (no admin auth; the signed token is the authority), in the shop's
 * customer language (a link that does not verify: the reader's Accept-Language).
 * POST: RFC 8058 one-click (`List-Unsubscribe=One-Click` from the mailbox provider) or the button
 * below; records the suppression idempotently and answers 200. GET never unsubscribes: mail
 * scanners prefetch links, so it only shows a confirmation page with a button that POSTs.
 */
type Data = UnsubscribePageData;

const NO_STORE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };

export const headers: HeadersFunction = () => NO_STORE;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: translator((data as Data | undefined)?.locale ?? "en")("unsubscribe.title") },
  { name: "robots", content: "noindex" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await database.ready();
  const token = params.token ?? "";
  const r = await tokenScope("unsubscribe", token, () =>
    loadUnsubscribePage({ sql: database.sql, secret: env().SHOPIFY_API_SECRET }, token, request.headers.get("Accept-Language")),
  );
  return json<Data>(r.data, { status: r.status, headers: NO_STORE });
}

export async function action({ request, params }: ActionFunctionArgs) {
  await database.ready();
  const body = await request.text().catch(() => "");
  // RFC 8058 one-click sends exactly this pair; our own button sends `confirm=1`.
  const source = new URLSearchParams(body).get("List-Unsubscribe") === "One-Click" ? "one_click" : "link";
  const token = params.token ?? "";
  const r = await tokenScope("unsubscribe", token, () =>
    unsubscribeFromPage(suppressDeps(), token, source, request.headers.get("Accept-Language")),
  );
  return json<Data>(r.data, { status: r.status, headers: NO_STORE });
}

const box: React.CSSProperties = {
  maxWidth: 480,
  margin: "10vh auto",
  padding: "32px",
  fontFamily: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif",
  color: "#1a1a1a",
  border: "1px solid #d4d4d4",
  borderRadius: 12,
  lineHeight: 1.5,
};
const button: React.CSSProperties = {
  font: "inherit",
  padding: "10px 20px",
  borderRadius: 8,
  border: "1px solid #1a1a1a",
  background: "#1a1a1a",
  color: "#fff",
  cursor: "pointer",
};

export default function Unsubscribe() {
  const loaded = useLoaderData<typeof loader>() as Data;
  const acted = useActionData<typeof action>() as Data | undefined;
  const data = acted ?? loaded;
  const t = translator(data.locale);
  return (
    <main style={box} aria-labelledby="unsubscribe-title" lang={data.locale}>
      {!data.ok ? (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            {t("unsubscribe.invalidTitle")}
          </h1>
          <p role="alert">{t("unsubscribe.invalid")}</p>
          {/* The technical reason, for the shop's support if the customer forwards it. */}
          <p style={{ fontSize: 12, color: "#666" }}>{data.error}</p>
        </>
      ) : data.done ? (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            {t("unsubscribe.doneTitle")}
          </h1>
          <p role="status">{t("unsubscribe.done", { shop: data.shopName })}</p>
        </>
      ) : (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            {t("unsubscribe.question", { shop: data.shopName })}
          </h1>
          <p>{t("unsubscribe.explain", { shop: data.shopName })}</p>
          <form method="post">
            <input type="hidden" name="confirm" value="1" />
            <button type="submit" style={button}>
              {t("unsubscribe.button")}
            </button>
          </form>
        </>
      )}
    </main>
  );
}
