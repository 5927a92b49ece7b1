// Test support for the adapters: answers recorded from a live store (test/shopify/fixtures/recordings.json,
// extracted from github.com/airhorns/shopify-draft-proxy fixtures/conformance/harry-test-heelo.myshopify.com/…;
// each entry keeps its source file and JSON pointer) and a client double that records what was sent.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { AppError } from "../../app/lib/errors";
import type { AdminClient } from "../../app/shopify/graphql-client";

interface Recording {
  source: string;
  pointer: string;
  note?: string;
  data: unknown;
}

const recordings: Record<string, Recording> = JSON.parse(
  readFileSync(fileURLToPath(new URL("./fixtures/recordings.json", import.meta.url)), "utf8"),
);

/** The `data` Shopify answered in one recorded exchange (a deep copy: tests may reshape it). */
export function recorded(name: string): unknown {
  const r = recordings[name];
  if (!r) throw new Error(`no recording named ${name}`);
  return structuredClone(r.data);
}

export function recordingSource(name: string): string {
  return recordings[name]!.source;
}

export interface Sent {
  query: string;
  variables?: Record<string, unknown>;
}

/** A client that answers each request with the next of `answers` and keeps what it was sent. */
export function clientAnswering(...answers: unknown[]): AdminClient & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    shop: "harry-test-heelo.myshopify.com",
    sent,
    async request(query, variables) {
      sent.push({ query, variables });
      if (!answers.length) throw new Error(`unexpected request: ${query.slice(0, 80)}`);
      return answers.shift();
    },
  };
}

/** Runs `f`, expects an AppError, returns it. */
export async function appErrorOf(f: () => Promise<unknown>): Promise<AppError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an AppError, nothing was thrown");
}
