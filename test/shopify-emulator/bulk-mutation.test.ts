import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, gql, start } from "./helpers";

const STAGE = `mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }`;
const RUN = `mutation($mutation: String!, $path: String!) { bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) {
  bulkOperation { id status type errorCode objectCount url query } userErrors { field message code } } }`;
const POLL = `query($id: ID!) { bulkOperation(id: $id) { id status type errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl } }`;
const TAGS_ADD_DOC = `mutation tag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }`;

describe("emulator bulk mutations (staged upload -> bulkOperationRunMutation -> result JSONL)", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  let app: http.Server;
  const hooks: Array<{ topic: string; body: any }> = [];
  const cid = (c: number) => emu.shop(SHOP).customerView(c).id;

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hooks.push({ topic: String(req.headers["x-shopify-topic"]), body: JSON.parse(b) });
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    ({ emu, clock } = await start({
      appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
      bulkTiming: { startDelayMs: 5, rootsPerTick: 10, tickDelayMs: 2 },
      webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 1000 },
    }));
    await emu.addShop(SHOP, { seed: 21, customers: 200, years: 2 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });

  /** Uploads like the app would against Shopify's GCS target: multipart POST with every parameter, file last. */
  async function stageAndUpload(jsonl: string, filename = "vars.jsonl"): Promise<string> {
    const { body } = await gql(emu, token, STAGE, {
      input: [{ resource: "BULK_MUTATION_VARIABLES", filename, mimeType: "text/jsonl", httpMethod: "POST" }],
    });
    expect(body.data.stagedUploadsCreate.userErrors).toEqual([]);
    const target = body.data.stagedUploadsCreate.stagedTargets[0];
    const form = new FormData();
    for (const p of target.parameters) form.append(p.name, p.value);
    form.append("file", new Blob([jsonl], { type: "text/jsonl" }), filename);
    const res = await fetch(target.url, { method: "POST", body: form });
    expect(res.status).toBe(201);
    expect(await res.text()).toContain("<PostResponse>");
    return target.parameters.find((p: any) => p.name === "key").value;
  }

  async function waitDone(id: string) {
    for (let i = 0; i < 400; i++) {
      clock.advance(500);
      const op = (await gql(emu, token, POLL, { id })).body.data.bulkOperation;
      if (!["CREATED", "RUNNING", "CANCELING"].includes(op.status)) return op;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error("bulk mutation did not finish");
  }

  it("tags 120 customers end to end over HTTP, line by line, with userErrors kept per line and the finish webhook", async () => {
    const ids = Array.from({ length: 120 }, (_, i) => cid(i));
    const lines = ids.map((id) => JSON.stringify({ id, tags: ["wb-bulk"] }));
    lines[7] = JSON.stringify({ id: "gid://shopify/Customer/999999999999999", tags: ["wb-bulk"] });
    lines[9] = JSON.stringify({ id: ids[9], tags: "not-a-list" });
    lines[11] = JSON.stringify({ id: ids[11] }); // missing required variable
    const key = await stageAndUpload(lines.join("\n") + "\n");
    expect(key).toMatch(/^tmp\/\d+\/bulk\/[0-9a-f-]+\/vars\.jsonl$/);
    hooks.length = 0;

    const started = (await gql(emu, token, RUN, { mutation: TAGS_ADD_DOC, path: key })).body.data.bulkOperationRunMutation;
    expect(started.userErrors).toEqual([]);
    expect(started.bulkOperation).toMatchObject({
      status: "CREATED",
      type: "MUTATION",
      errorCode: null,
      objectCount: "0",
      url: null,
      query: TAGS_ADD_DOC,
    });
    // Observable while running (10 lines per tick).
    const seen = new Set<string>();
    for (let i = 0; i < 50 && !seen.has("COMPLETED"); i++) {
      seen.add((await gql(emu, token, POLL, { id: started.bulkOperation.id })).body.data.bulkOperation.status);
      await new Promise((r) => setTimeout(r, 3));
    }
    const op = await waitDone(started.bulkOperation.id);
    expect(op).toMatchObject({
      status: "COMPLETED",
      type: "MUTATION",
      errorCode: null,
      objectCount: "120",
      rootObjectCount: "120",
      partialDataUrl: null,
    });
    expect(seen.has("RUNNING") || seen.has("CREATED")).toBe(true);

    const text = await (await fetch(op.url)).text();
    expect(String(Buffer.byteLength(text))).toBe(op.fileSize);
    const out = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(120);
    expect(out.map((l) => l.__lineNumber)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(out[0]).toEqual({ data: { tagsAdd: { node: { id: ids[0] }, userErrors: [] } }, __lineNumber: 0 });
    expect(out[7]).toEqual({
      data: { tagsAdd: { node: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] } },
      __lineNumber: 7,
    });
    // A list-typed variable given a string is coerced like any GraphQL request.
    expect(out[9].data.tagsAdd.userErrors).toEqual([]);
    expect(out[11].errors[0].message).toMatch(/\$tags/);
    expect(out[11].data).toBeUndefined();

    expect(emu.shop(SHOP).customerView(9).tags).toContain("not-a-list");
    const tagged = ids.filter((_, i) => i !== 7 && i !== 9 && i !== 11);
    for (const id of tagged) expect(emu.shop(SHOP).customerView(emu.shop(SHOP).customerIndexFromId(id)).tags).toContain("wb-bulk");
    const search = await gql(emu, token, `{ customersCount(query: "tag:wb-bulk") { count } }`);
    expect(search.body.data.customersCount.count).toBe(tagged.length);
    const changed = tagged.length + 1;

    await emu.webhooks.idle();
    const finish = hooks.filter((h) => h.topic === "bulk_operations/finish");
    expect(finish).toHaveLength(1);
    expect(finish[0]!.body).toMatchObject({ admin_graphql_api_id: op.id, status: "completed", type: "mutation", error_code: null });
    expect(hooks.filter((h) => h.topic === "customers/update")).toHaveLength(changed);

    const current = await gql(emu, token, `{ currentBulkOperation(type: MUTATION) { id type } q: currentBulkOperation { id } }`);
    expect(current.body.data.currentBulkOperation).toEqual({ id: op.id, type: "MUTATION" });
    expect(current.body.data.q).toBeNull();
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.stagedUploads.find((u: any) => u.key === key)).toMatchObject({ filename: "vars.jsonl", bytes: expect.any(Number) });
    expect(insp.mutations.filter((m: any) => m.field === "tagsAdd").length).toBeGreaterThanOrEqual(118);
    expect(insp.bulkOperations.find((b: any) => b.id === op.id).type).toBe("MUTATION");
  });

  it("rejects what Shopify rejects: unparsable/non-mutation/multi-root documents, unknown or empty files, malformed JSONL", async () => {
    const run = async (mutation: string, path: string) =>
      (await gql(emu, token, RUN, { mutation, path })).body.data.bulkOperationRunMutation;
    const good = await stageAndUpload(JSON.stringify({ id: cid(1), tags: ["x"] }));
    expect((await run("mutation { not parseable", good)).userErrors[0]).toMatchObject({
      field: null,
      code: "INVALID_MUTATION",
      message: expect.stringMatching(/^Failed to parse the mutation - syntax error/),
    });
    expect((await run("query { shop { name } }", good)).userErrors).toEqual([
      { field: null, message: "Invalid operation type. Only `mutation` operations are supported.", code: "INVALID_MUTATION" },
    ]);
    expect(
      (
        await run(
          `mutation($id: ID!, $tags: [String!]!) { a: tagsAdd(id: $id, tags: $tags) { node { id } } b: tagsRemove(id: $id, tags: $tags) { node { id } } }`,
          good,
        )
      ).userErrors,
    ).toEqual([{ field: ["mutation"], message: "You must specify a single top level mutation.", code: null }]);
    expect(
      (
        await run(
          `mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) { bulkOperation { id } } }`,
          good,
        )
      ).userErrors,
    ).toEqual([{ field: ["mutation"], message: "You must use an allowed mutation name.", code: null }]);
    expect((await run(TAGS_ADD_DOC, "tmp/1/bulk/nope/vars.jsonl")).userErrors[0]).toMatchObject({ code: "NO_SUCH_FILE", field: null });
    const empty = await stageAndUpload("   \n");
    expect((await run(TAGS_ADD_DOC, empty)).userErrors).toEqual([
      { field: null, message: "The input file is empty.", code: "INVALID_STAGED_UPLOAD_FILE" },
    ]);
    const broken = await stageAndUpload(`${JSON.stringify({ id: cid(1), tags: ["x"] })}\n{"id": "gid://shopify/Customer/1", tags: oops}\n`);
    expect((await run(TAGS_ADD_DOC, broken)).userErrors).toEqual([
      { field: null, message: "Unexpected file structure - expected JSONL", code: "INVALID_STAGED_UPLOAD_FILE" },
    ]);
    // Nothing ran.
    expect(emu.shop(SHOP).customerView(1).tags).not.toContain("x");
  });

  it("at most five bulk mutations run at once per shop (OPERATION_IN_PROGRESS lists them); the upload target checks its signature", async () => {
    // Long enough (40 ticks) that the first five are still running when the sixth is submitted.
    const key = await stageAndUpload(
      Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: cid(i % 200), tags: [`wb-conc-${i % 7}`] })).join("\n"),
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = (await gql(emu, token, RUN, { mutation: TAGS_ADD_DOC, path: key })).body.data.bulkOperationRunMutation;
      expect(r.userErrors).toEqual([]);
      ids.push(r.bulkOperation.id);
    }
    const sixth = (await gql(emu, token, RUN, { mutation: TAGS_ADD_DOC, path: key })).body.data.bulkOperationRunMutation;
    expect(sixth).toEqual({
      bulkOperation: null,
      userErrors: [
        {
          field: null,
          message: `A bulk mutation operation for this app and shop is already in progress: ${ids.join(", ")}.`,
          code: "OPERATION_IN_PROGRESS",
        },
      ],
    });
    for (const id of ids) expect((await waitDone(id)).status).toBe("COMPLETED");

    const { body } = await gql(emu, token, STAGE, {
      input: [{ resource: "BULK_MUTATION_VARIABLES", filename: "x.jsonl", mimeType: "text/jsonl", httpMethod: "POST" }],
    });
    const target = body.data.stagedUploadsCreate.stagedTargets[0];
    const form = new FormData();
    for (const p of target.parameters) form.append(p.name, p.name === "x-goog-signature" ? "forged" : p.value);
    form.append("file", new Blob(["{}"]), "x.jsonl");
    expect((await fetch(target.url, { method: "POST", body: form })).status).toBe(403);

    // PUT targets (httpMethod default) accept the raw body at the signed URL.
    const put = (
      await gql(emu, token, STAGE, { input: [{ resource: "BULK_MUTATION_VARIABLES", filename: "p.jsonl", mimeType: "text/jsonl" }] })
    ).body.data.stagedUploadsCreate.stagedTargets[0];
    expect((await fetch(put.url, { method: "PUT", body: JSON.stringify({ id: cid(40), tags: ["wb-put"] }) })).status).toBe(200);
    const putKey = new URL(put.url).pathname.replace(/^\/staged-uploads\//, "");
    const r = (await gql(emu, token, RUN, { mutation: TAGS_ADD_DOC, path: decodeURIComponent(putKey) })).body.data.bulkOperationRunMutation;
    expect(r.userErrors).toEqual([]);
    expect((await waitDone(r.bulkOperation.id)).objectCount).toBe("1");
    expect(emu.shop(SHOP).customerView(40).tags).toContain("wb-put");
  });
});
