// Webhook subscriptions (from shopify.app.toml) and signed delivery with retries.
import crypto from "node:crypto";
import fs from "node:fs";
import { API_VERSION } from "./schema";

export interface AppToml {
  scopes: string[];
  subscriptions: Array<{ topics: string[]; uri: string; compliance: boolean }>;
  apiVersion?: string;
}

/** Parses the small TOML subset used by shopify.app.toml (tables, arrays of tables, strings, string arrays). */
export function parseAppToml(text: string): AppToml {
  const out: AppToml = { scopes: [], subscriptions: [] };
  let table = "";
  let current: { topics: string[]; uri: string; compliance: boolean } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    let m = /^\[\[([\w.]+)\]\]$/.exec(line);
    if (m) {
      table = m[1]!;
      if (table === "webhooks.subscriptions") {
        current = { topics: [], uri: "", compliance: false };
        out.subscriptions.push(current);
      }
      continue;
    }
    m = /^\[([\w.]+)\]$/.exec(line);
    if (m) {
      table = m[1]!;
      current = undefined;
      continue;
    }
    m = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!;
    const rawVal = m[2]!.trim();
    const strings = [...rawVal.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!);
    if (table === "access_scopes" && key === "scopes")
      out.scopes = (strings[0] ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    if (table === "webhooks" && key === "api_version") out.apiVersion = strings[0];
    if (table === "webhooks.subscriptions" && current) {
      if (key === "topics") current.topics.push(...strings);
      if (key === "compliance_topics") {
        current.topics.push(...strings);
        current.compliance = true;
      }
      if (key === "uri") current.uri = strings[0] ?? "";
    }
  }
  return out;
}

export function loadAppToml(p: string): AppToml {
  try {
    return parseAppToml(fs.readFileSync(p, "utf8"));
  } catch {
    return { scopes: [], subscriptions: [] };
  }
}

export interface WebhookRetryOptions {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
}

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error?: string;
  ms: number;
}
export interface Delivery {
  webhookId: string;
  eventId: string;
  topic: string;
  shop: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  attempts: DeliveryAttempt[];
  delivered: boolean;
  done: boolean;
  duplicateOf?: string;
}

export interface DeliverOptions {
  webhookId?: string;
  eventId?: string;
  duplicate?: boolean;
  delayMs?: number;
  triggeredAt?: Date;
}

export class Webhooks {
  readonly log: Delivery[] = [];
  private pending = new Set<Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  /** Topics whose deliveries are dropped (fault injection: "webhook never sent"). */
  readonly suppressed = new Set<string>();
  stopped = false;

  constructor(private cfg: { apiSecret: string; appUrl?: string; toml: AppToml; retry: WebhookRetryOptions; now: () => number }) {}

  urlFor(topic: string): string | undefined {
    if (!this.cfg.appUrl) return undefined;
    const sub = this.cfg.toml.subscriptions.find((s) => s.topics.includes(topic));
    if (!sub) return undefined;
    return /^https?:/.test(sub.uri) ? sub.uri : this.cfg.appUrl.replace(/\/$/, "") + sub.uri;
  }

  sign(body: string): string {
    return crypto.createHmac("sha256", this.cfg.apiSecret).update(body, "utf8").digest("base64");
  }

  /** Queues a signed delivery. Returns the log entry (or undefined when nobody subscribes). */
  deliver(shop: string, topic: string, payload: unknown, opts: DeliverOptions = {}): Delivery | undefined {
    if (this.stopped) return undefined;
    const url = this.urlFor(topic);
    if (!url) return undefined;
    if (this.suppressed.has(topic) || this.suppressed.has("*")) return undefined;
    const body = JSON.stringify(payload);
    const webhookId = opts.webhookId ?? crypto.randomUUID();
    const eventId = opts.eventId ?? crypto.randomUUID();
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": this.sign(body),
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": this.cfg.toml.apiVersion ?? API_VERSION,
      "X-Shopify-Webhook-Id": webhookId,
      "X-Shopify-Event-Id": eventId,
      "X-Shopify-Triggered-At": (opts.triggeredAt ?? new Date(this.cfg.now())).toISOString(),
      "User-Agent": "Shopify-Captain-Hook",
    };
    const d: Delivery = { webhookId, eventId, topic, shop, url, body, headers, attempts: [], delivered: false, done: false };
    this.log.push(d);
    const start = () => this.track(this.run(d));
    if (opts.delayMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        start();
      }, opts.delayMs);
      this.timers.add(t);
    } else start();
    if (opts.duplicate) {
      // Shopify may deliver the same event twice: same webhook id, same body.
      const dup: Delivery = { ...d, attempts: [], delivered: false, done: false, duplicateOf: webhookId };
      this.log.push(dup);
      this.track(this.run(dup));
    }
    return d;
  }

  private track(p: Promise<void>) {
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  private async run(d: Delivery) {
    const { attempts, baseDelayMs, timeoutMs } = this.cfg.retry;
    for (let a = 0; a < attempts && !this.stopped; a++) {
      if (a > 0)
        await new Promise<void>((r) => {
          const t = setTimeout(
            () => {
              this.timers.delete(t);
              r();
            },
            baseDelayMs * 2 ** (a - 1),
          );
          this.timers.add(t);
        });
      if (this.stopped) break;
      const t0 = Date.now();
      try {
        const res = await fetch(d.url, { method: "POST", headers: d.headers, body: d.body, signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer().catch(() => undefined);
        d.attempts.push({ at: new Date().toISOString(), status: res.status, ms: Date.now() - t0 });
        if (res.status >= 200 && res.status < 300) {
          d.delivered = true;
          break;
        }
      } catch (e) {
        d.attempts.push({
          at: new Date().toISOString(),
          status: null,
          error: (e as Error).name === "TimeoutError" ? "timeout" : (e as Error).message,
          ms: Date.now() - t0,
        });
      }
    }
    d.done = true;
  }

  /** Resolves when every queued delivery has finished (delivered or out of retries). */
  async idle(): Promise<void> {
    while (this.pending.size || this.timers.size) {
      await Promise.allSettled([...this.pending]);
      if (!this.pending.size && this.timers.size) await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
