import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stripComments } from "../support/import-graph";

// Every route that reads or writes shop data does it confined to one shop (row-level security,
// docs/decisions/098-scoped-requests-and-jobs.md): admin pages through adminScope, app proxy
// requests through proxyScope, signed links through tokenScope, webhooks through receiveWebhook
// (the dispatcher confines each handler). A static check of app/routes: a route that authenticates
// by hand, or touches the database without one of those, fails here.

const ROUTES = path.resolve(__dirname, "../../app/routes");

/** Scope helpers (app/app.server.ts) and what each one does first. */
const SCOPES = ["adminScope(", "proxyScope(", "tokenScope(", "receiveWebhook("];

/** Routes that may authenticate or touch data without a shop scope, and why. */
const EXEMPT: Record<string, string> = {
  // The OAuth/login entry: authenticate.admin answers with redirects; it reads no shop data.
  "auth.$.tsx": "authentication only",
  // The mail relay's report names a Message-ID only: the shop is found from it (messageByMessageId, a
  // lookup across shops), so the lookup itself cannot run confined. Signed by MAIL_RELAY_SECRET.
  "email.feedback.tsx": "shop found from the Message-ID across shops",
};

/** What is wrong with one route's source, or [] (exported for the self-test below). */
export function scopeProblems(file: string, source: string): string[] {
  const code = stripComments(source);
  if (EXEMPT[file]) return [];
  const problems: string[] = [];
  if (/\bauthenticate\.(admin|public|flow|fulfillmentService|pos)\b/.test(code))
    problems.push(
      `${file}: calls authenticate.* by hand; use adminScope/proxyScope (app/app.server.ts) so its queries run confined to the shop`,
    );
  const exportsHandler = /export\s+(const|async\s+function|function)\s+(loader|action)\b/.test(code);
  const touchesData = /from\s+"\.\.\/(app\.server|db\.server)"/.test(code) || /\bappContext\b|\bdatabase\b/.test(code);
  if (exportsHandler && touchesData && !SCOPES.some((s) => code.includes(s)))
    problems.push(`${file}: its loader/action reaches the app's data without adminScope, proxyScope, tokenScope or receiveWebhook`);
  return problems;
}

describe("routes run their data access confined to one shop", () => {
  it("holds for every route under app/routes", () => {
    const files = readdirSync(ROUTES).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(20);
    const problems = files.flatMap((f) => scopeProblems(f, readFileSync(path.join(ROUTES, f), "utf8")));
    expect(problems).toEqual([]);
  });

  it("catches a route that authenticates by hand, and one that reads data with no scope", () => {
    const byHand = `import { authenticate } from "../shopify.server";
      import { appContext } from "../app.server";
      export const loader = async ({ request }) => { const { session } = await authenticate.admin(request); return load(appContext, session.shop); };`;
    expect(scopeProblems("app.x.tsx", byHand)).toEqual([
      expect.stringMatching(/authenticate\.\* by hand/),
      expect.stringMatching(/without adminScope/),
    ]);
    const proxy = `export const action = async ({ request }) => { await authenticate.public.appProxy(request); };`;
    expect(scopeProblems("proxy.x.tsx", proxy)).toEqual([expect.stringMatching(/by hand/)]);
    const unscoped = `import { database } from "../db.server";
      export async function loader({ params }) { return read(database.sql, params.token); }`;
    expect(scopeProblems("t.x.tsx", unscoped)).toEqual([expect.stringMatching(/without adminScope/)]);
    const scoped = `import { adminScope, appContext } from "../app.server";
      export const loader = async ({ request }) => adminScope(request, ({ session }) => load(appContext, session.shop));`;
    expect(scopeProblems("app.y.tsx", scoped)).toEqual([]);
    // A comment naming authenticate.admin is not a call.
    expect(scopeProblems("app.z.tsx", `// authenticate.admin(request) used to be here\n${scoped}`)).toEqual([]);
  });
});
