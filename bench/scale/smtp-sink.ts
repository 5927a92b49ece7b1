import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/**
 * A counting SMTP sink for throughput runs: accepts every message and records only when it arrived
 * (test/messaging/mail-sink.ts writes each message to a file, which at hundreds of thousands of
 * messages would measure the disk, not the app).
 */
export interface CountingSink {
  smtpUrl: string;
  /** performance.now() of each message's end of DATA, in arrival order. */
  arrivals: number[];
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  const arrivals: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    // The app's pooled transport opens a few connections and sends many messages on each.
    maxClients: 100,
    onData(stream, _session, cb) {
      stream.on("data", () => {});
      stream.on("end", () => {
        arrivals.push(performance.now());
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    smtpUrl: `smtp://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
