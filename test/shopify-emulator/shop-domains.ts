// The shops' own domains (https://{shop}.myshopify.com/…) for a browser test: an HTTPS front with a
// throwaway self-signed certificate that forwards every request for host H, path P to the
// emulator's `/{H}{P}` with X-Forwarded-Host: H, so the storefront module answers as the shop's
// domain (home page `/`, `/discount/{code}`, `/apps/winback/*`, `/account/login`, the theme
// editor under `/admin/themes/current/editor`). Chromium reaches it with
// `--host-resolver-rules` (hostResolverRules) and ignores the certificate (`ignoreHTTPSErrors`).
// This is what lets a test follow the app's redirect to the real shop URL an email carries.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface ShopDomains {
  port: number;
  /** Chromium's `--host-resolver-rules` value mapping these shop domains to the front. */
  hostResolverRules(shops: string[]): string;
  close(): Promise<void>;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-domains-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=*.myshopify.com",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startShopDomains(emulatorUrl: string): Promise<ShopDomains> {
  const target = new URL(emulatorUrl);
  const server = https.createServer(selfSignedCertificate(), (req, res) => {
    const host = String(req.headers.host ?? "").split(":")[0]!;
    if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(host)) {
      res.writeHead(404).end("unknown host");
      return;
    }
    const upstream = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: `/${host}${req.url ?? "/"}`,
        headers: { ...req.headers, host: target.host, "x-forwarded-host": host, "x-forwarded-proto": "https" },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`shop domain front: ${e.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hostResolverRules: (shops) => shops.map((s) => `MAP ${s} 127.0.0.1:${port}`).join(","),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
