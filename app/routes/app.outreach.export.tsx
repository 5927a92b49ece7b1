import type { LoaderFunctionArgs } from "@remix-run/node";
import { database } from "../db.server";
import { AppError, httpStatusFor } from "../lib/errors";
import { exportQueueCsv } from "../outreach/export-queue";
import { parseQueueQuery } from "../outreach/list-queue";
import { authenticate } from "../shopify.server";

/** The Outreach queue as CSV, with the same filters and sort as the page (resource route). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  await database.ready();
  const url = new URL(request.url);
  let query;
  try {
    query = parseQueueQuery(url.searchParams);
  } catch (e) {
    if (e instanceof AppError) return new Response(e.message, { status: httpStatusFor(e.code), headers: { "Content-Type": "text/plain; charset=utf-8" } });
    throw e;
  }
  const now = new Date();
  const stamp = now.toISOString().slice(0, 10);
  return new Response(exportQueueCsv(database.sql, session.shop, query, now), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="outreach-${stamp}.csv"`,
      "Cache-Control": "no-store",
    },
  });
};
