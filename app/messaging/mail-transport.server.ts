import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env.server";
import { AppError } from "../lib/errors";

declare global {
  var __winbackMailTransport: Transporter | null | undefined;
}

/**
 * The SMTP transport built once from SMTP_URL (e.g. `smtps://user:pass@smtp.example.com:465`,
 * `smtp://relay:25`), pooled so a campaign's touches reuse connections. null without SMTP_URL:
 * the messenger then records every send as skipped/no_mail_server (pages say so), so the demo runs without mail.
 */
export function mailTransport(): Transporter | null {
  if (globalThis.__winbackMailTransport !== undefined) return globalThis.__winbackMailTransport;
  const url = env().SMTP_URL;
  if (!url) return (globalThis.__winbackMailTransport = null);
  return (globalThis.__winbackMailTransport = createMailTransport(url, { poolSize: env().SMTP_POOL_SIZE }));
}

/**
 * The pooled transport for an SMTP URL (also used by bench/emails.ts, so it measures what the app runs).
 * `poolSize` connections at most (SMTP_POOL_SIZE) unless the URL's query sets `maxConnections`.
 */
export function createMailTransport(url: string, opts: { poolSize?: number } = {}): Transporter {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError("CONFIG", "SMTP_URL is not a URL");
  }
  if (!/^smtps?:$/.test(parsed.protocol))
    throw new AppError("CONFIG", `SMTP_URL must start with smtp:// or smtps:// (got ${parsed.protocol})`);
  parsed.searchParams.set("pool", "true");
  if (opts.poolSize && !parsed.searchParams.has("maxConnections")) parsed.searchParams.set("maxConnections", String(opts.poolSize));
  return nodemailer.createTransport(parsed.toString());
}
