import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * Runs the built app exactly as production does (remix-serve on the Vite build), with only its
 * environment pointing at the emulator. Used by the browser tests and by `npm run demo`.
 */
export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Builds the app once for all test files: the build is skipped when its fingerprint (paths, sizes
 * and mtimes of everything the build reads) is unchanged, and concurrent callers (parallel test
 * files, helpers) serialise on a lock directory so they never write build/ at the same time.
 */
export function buildApp({ force = false }: { force?: boolean } = {}) {
  if (!force && process.env.WINBACK_SKIP_BUILD === "1" && existsSync(path.join(ROOT, "build/server/index.js"))) return;
  const lock = path.join(ROOT, ".build.lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 10 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() - started > 900_000) throw new Error("buildApp: timed out waiting for another build");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    const stamp = path.join(ROOT, "build/.fingerprint");
    const fp = buildFingerprint();
    if (!force && existsSync(path.join(ROOT, "build/server/index.js")) && existsSync(stamp) && readFileSync(stamp, "utf8") === fp) return;
    execFileSync(process.execPath, [path.join(ROOT, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], {
      cwd: ROOT,
      stdio: process.env.CI ? "inherit" : "pipe",
    });
    writeFileSync(stamp, fp);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildFingerprint(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (!/\.test\.tsx?$/.test(e.name)) {
        const st = statSync(f);
        h.update(`${path.relative(ROOT, f)}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  walk(path.join(ROOT, "app"));
  for (const f of ["vite.config.ts", "package-lock.json", "tsconfig.json"]) {
    const st = statSync(path.join(ROOT, f));
    h.update(`${f}:${st.size}:${st.mtimeMs}\n`);
  }
  return h.digest("hex");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface AppServer {
  url: string;
  port: number;
  process: ChildProcess;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startAppServer(opts: { port?: number; env: Record<string, string> }): Promise<AppServer> {
  const port = opts.port ?? (await freePort());
  const logs: string[] = [];
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/@remix-run/serve/dist/cli.js"), "build/server/index.js"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (b: Buffer) => {
    const text = b.toString();
    logs.push(text);
    if (process.env.WINBACK_APP_LOGS) process.stderr.write(text);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://localhost:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`App exited with ${child.exitCode}:\n${logs.join("")}`);
    try {
      const r = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - started > 60_000) throw new Error(`App did not start:\n${logs.join("")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    process: child,
    logs,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
