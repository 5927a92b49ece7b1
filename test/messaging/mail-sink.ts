// A local SMTP sink for the demo and manual testing: accepts every message, stores it as an .eml
// file and prints recipient, subject and the one-click unsubscribe URL. Point the app at it with
// SMTP_URL=smtp://127.0.0.1:<port>.
//
//   npx tsx test/messaging/mail-sink.ts --port 2525 --dir .data/demo/mail
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";
import { parseMail } from "./support";

export interface SinkMessage {
  file: string;
  /** Envelope sender and recipients. */
  from: string;
  to: string[];
  subject: string;
  oneClickUrl: string | null;
  receivedAt: string;
  /** The message as received (headers and body, transfer encoding intact). */
  raw: string;
}

export interface MailSink {
  port: number;
  smtpUrl: string;
  messages: SinkMessage[];
  close(): Promise<void>;
}

export async function startMailSink(opts: { port?: number; dir: string; log?: (line: string) => void }): Promise<MailSink> {
  mkdirSync(opts.dir, { recursive: true });
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const parsed = parseMail(raw);
        const receivedAt = new Date().toISOString();
        const file = path.join(opts.dir, `${receivedAt.replace(/[:.]/g, "-")}-${messages.length + 1}.eml`);
        writeFileSync(file, raw);
        const m: SinkMessage = {
          file,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parsed.header("Subject") ?? "",
          oneClickUrl: /<(https?:[^>]+)>/.exec(parsed.header("List-Unsubscribe") ?? "")?.[1] ?? null,
          receivedAt,
          raw,
        };
        messages.push(m);
        opts.log?.(`[mail] to ${m.to.join(", ")}: ${m.subject}  (one-click: ${m.oneClickUrl ?? "none"})`);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    smtpUrl: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "2525" }, dir: { type: "string", default: ".data/mail" } } });
  const sink = await startMailSink({ port: Number(values.port), dir: values.dir!, log: console.log });
  console.log(`Mail sink listening: SMTP_URL=${sink.smtpUrl} (messages in ${values.dir})`);
}
