import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { database } from "../db.server";
import { env } from "../env.server";
import { AppError, isAppError } from "../lib/errors";
import { suppressDeps } from "../app.server";
import { verifyUnsubscribeToken } from "../messaging/token";
import { isSuppressed, unsubscribeWithToken } from "../messaging/unsubscribe";
import { shopFacts } from "../shop-settings.server";

/**
 * Public unsubscribe endpoint (no admin auth; the signed token is the authority).
 * POST: RFC 8058 one-click (`List-Unsubscribe=One-Click` from the mailbox provider) or the button
 * below; records the suppression idempotently and answers 200. GET never unsubscribes: mail
 * scanners prefetch links, so it only shows a confirmation page with a button that POSTs.
 */
type Data = { ok: true; shopName: string; done: boolean } | { ok: false; error: string };

function tokenStatus(e: unknown): number {
  return isAppError(e, "UNAUTHENTICATED") ? 403 : 400;
}

const NO_STORE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };

export const headers: HeadersFunction = () => NO_STORE;

export const meta: MetaFunction = () => [{ title: "Unsubscribe" }, { name: "robots", content: "noindex" }];

export async function loader({ params }: LoaderFunctionArgs) {
  await database.ready();
  try {
    const claims = verifyUnsubscribeToken(env().SHOPIFY_API_SECRET, params.token ?? "");
    const [facts, done] = await Promise.all([shopFacts(database.sql, claims.shop), isSuppressed(database.sql, claims.shop, claims.customerId)]);
    return json<Data>({ ok: true, shopName: facts.name, done }, { headers: NO_STORE });
  } catch (e) {
    if (!(e instanceof AppError) || !["INVALID_INPUT", "UNAUTHENTICATED"].includes(e.code)) throw e;
    return json<Data>({ ok: false, error: e.message }, { status: tokenStatus(e), headers: NO_STORE });
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  await database.ready();
  const body = await request.text().catch(() => "");
  // RFC 8058 one-click sends exactly this pair; our own button sends `confirm=1`.
  const source = new URLSearchParams(body).get("List-Unsubscribe") === "One-Click" ? "one_click" : "link";
  try {
    const r = await unsubscribeWithToken(suppressDeps(), params.token ?? "", source);
    const facts = await shopFacts(database.sql, r.shop);
    return json<Data>({ ok: true, shopName: facts.name, done: true }, { headers: NO_STORE });
  } catch (e) {
    if (!(e instanceof AppError) || !["INVALID_INPUT", "UNAUTHENTICATED"].includes(e.code)) throw e;
    return json<Data>({ ok: false, error: e.message }, { status: tokenStatus(e), headers: NO_STORE });
  }
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
  return (
    <main style={box} aria-labelledby="unsubscribe-title">
      {!data.ok ? (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            This link does not work
          </h1>
          <p role="alert">{data.error}</p>
          <p>Use the unsubscribe link in the most recent email you received, or contact the shop.</p>
        </>
      ) : data.done ? (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            You are unsubscribed
          </h1>
          <p role="status">You will no longer receive marketing emails from {data.shopName}.</p>
        </>
      ) : (
        <>
          <h1 id="unsubscribe-title" style={{ fontSize: 22, margin: "0 0 12px" }}>
            Unsubscribe from {data.shopName}?
          </h1>
          <p>You will stop receiving marketing emails from {data.shopName}. Order and shipping emails are not affected.</p>
          <form method="post">
            <input type="hidden" name="confirm" value="1" />
            <button type="submit" style={button}>
              Unsubscribe
            </button>
          </form>
        </>
      )}
    </main>
  );
}
