// A counting SMTP sink for bench/emails.ts, run as its own process so that receiving mail does not
// share the sender's event loop (a real relay is another machine). smtp-server speaks ESMTP with
// PIPELINING, which nodemailer uses. It keeps nothing but counts: messages, bytes, connections.
//
//   node --import tsx bench/smtp-sink.ts   → prints {"port": N} on its first stdout line, then
//   answers every "count" line on stdin with {"messages": n, "bytes": b, "connections": c}.
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { SMTPServer } from "smtp-server";

let messages = 0;
let bytes = 0;
let connections = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  // smtp-server looks up every client's reverse DNS on connect; here that is a resolver timeout per
  // connection that would be charged to the per-email baseline, not to SMTP itself.
  disableReverseLookup: true,
  // The default (Infinity) is fine for a sink; say it so a reader sees pooling is not limited here.
  maxClients: Infinity,
  onConnect(_session, cb) {
    connections++;
    cb();
  },
  onData(stream, _session, cb) {
    let n = 0;
    stream.on("data", (c: Buffer) => (n += c.length));
    stream.on("end", () => {
      messages++;
      bytes += n;
      cb();
    });
  },
});

await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
process.stdout.write(JSON.stringify({ port: (server.server.address() as AddressInfo).port }) + "\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "count") process.stdout.write(JSON.stringify({ messages, bytes, connections }) + "\n");
});
process.stdin.on("end", () => server.close(() => process.exit(0)));
