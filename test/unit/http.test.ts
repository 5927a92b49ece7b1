import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "../../app/lib/errors";
import { errorResponse, formErrors, jsonError, respond, statusOf, throwAsResponse } from "../../app/lib/http";
import { parseOrThrow } from "../../app/lib/parse";

describe("error-to-response helper (app/lib/http.ts)", () => {
  it("maps each AppError code to its status and keeps the merchant-readable message", async () => {
    const cases: Array<[AppError["code"], number]> = [
      ["INVALID_INPUT", 400],
      ["UNAUTHENTICATED", 401],
      ["NOT_FOUND", 404],
      ["CONFLICT", 409],
      ["SHOPIFY_USER_ERRORS", 422],
      ["THROTTLED", 429],
      ["NETWORK", 503],
      ["CONFIG", 500],
      ["SHOPIFY_GRAPHQL", 502],
    ];
    for (const [code, status] of cases) {
      const res = errorResponse(new AppError(code, `message for ${code}`));
      expect({ code, status: res.status }).toEqual({ code, status });
      expect(await res.json()).toEqual({ ok: false, error: `message for ${code}`, code });
    }
    expect(statusOf(new Error("bug"))).toBe(500);
  });

  it("rethrows what is not an AppError, and INTERNAL, so the error boundary and the log see the bug", () => {
    const bug = new TypeError("x is undefined");
    expect(() => errorResponse(bug)).toThrow(bug);
    expect(() => errorResponse(new AppError("INTERNAL", "invariant"))).toThrow("invariant");
    expect(() => errorResponse(new AppError("NOT_FOUND", "gone"), { codes: ["INVALID_INPUT"] })).toThrow("gone");
  });

  it("form errors are { ok: false, error, fieldErrors }, also from a zod boundary's issues", async () => {
    const res = formErrors({ replyTo: "Enter exactly one email address" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      ok: false,
      error: "Check the highlighted fields.",
      code: "INVALID_INPUT",
      fieldErrors: { replyTo: "Enter exactly one email address" },
    });
    let thrown: unknown;
    try {
      parseOrThrow(z.object({ name: z.string().min(2, "Too short") }), { name: "a" }, "form");
    } catch (e) {
      thrown = e;
    }
    const body = await errorResponse(thrown).json();
    expect(body).toMatchObject({ ok: false, code: "INVALID_INPUT", fieldErrors: { name: "Too short" } });
  });

  it("plain text for downloads and resource routes; thrown responses for loaders; respond() wraps work", async () => {
    const text = errorResponse(new AppError("UNAUTHENTICATED", "This unsubscribe link is not valid."), {
      as: "text",
      headers: { "Cache-Control": "no-store" },
    });
    expect(text.status).toBe(401);
    expect(text.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(text.headers.get("Cache-Control")).toBe("no-store");
    expect(await text.text()).toBe("This unsubscribe link is not valid.");
    let thrown: unknown;
    try {
      throwAsResponse(new AppError("NOT_FOUND", "No campaign c1"));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(404);
    const ok = await respond(async () => "fine");
    expect(ok).toBe("fine");
    const failed = (await respond(async () => {
      throw new AppError("CONFLICT", "Already launched");
    })) as Response;
    expect(failed.status).toBe(409);
    expect(await jsonError(405, "POST only").json()).toEqual({ ok: false, error: "POST only" });
  });
});
