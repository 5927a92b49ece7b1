import { vitePlugin as remix } from "@remix-run/dev";
import { installGlobals } from "@remix-run/node";
import path from "node:path";
import { defineConfig, type Plugin, type UserConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";

installGlobals({ nativeFetch: true });

// Shopify CLI sets HOST; keep the template's behaviour of serving HMR over the tunnel.
if (process.env.HOST && (!process.env.SHOPIFY_APP_URL || process.env.SHOPIFY_APP_URL === process.env.HOST)) {
  process.env.SHOPIFY_APP_URL = process.env.HOST;
  delete process.env.HOST;
}
const host = new URL(process.env.SHOPIFY_APP_URL || "http://localhost").hostname;
const hmrConfig =
  host === "localhost"
    ? { protocol: "ws", host: "localhost", port: 64999, clientPort: 64999 }
    : { protocol: "wss", host, port: parseInt(process.env.FRONTEND_PORT!) || 8002, clientPort: 443 };

/**
 * The sync's JSONL parse worker (docs/decisions/083-sync-parse-workers.md) runs as a file of its own
 * in a worker thread, so the server build must emit it: this adds it as a chunk of the server build
 * (build/server/parse-worker.js, with the modules it imports) and points the URL app/sync/download.ts
 * gives the parse pool (app/shopify/jsonl/parse-pool.ts) at it.
 * Rollup writes the URL relative to the chunk that holds download.ts, wherever that ends up.
 */
function syncParseWorker(): Plugin {
  const pool = path.resolve("app/sync/download.ts");
  const source = `new URL("./download/worker.ts", import.meta.url)`;
  return {
    name: "winback-sync-parse-worker",
    apply: "build",
    transform(code, id, options) {
      if (!options?.ssr || id !== pool) return null;
      if (!code.includes(source)) this.error(`${pool} no longer holds ${source}: update vite.config.ts (syncParseWorker)`);
      const ref = this.emitFile({ type: "chunk", id: path.resolve("app/sync/download/worker.ts"), fileName: "parse-worker.js" });
      return { code: code.replace(source, `new URL(import.meta.ROLLUP_FILE_URL_${ref})`), map: null };
    },
  };
}

/**
 * The analysis job's worker thread (docs/decisions/096-analysis-off-the-event-loop.md), emitted the
 * same way as the sync's parse worker: a chunk of the server build (build/server/analysis-worker.js)
 * that the URL in app/analysis/worker-client.ts is rewritten to point at.
 */
function analysisWorker(): Plugin {
  const client = path.resolve("app/analysis/worker-client.ts");
  const source = `new URL("./worker.ts", import.meta.url)`;
  return {
    name: "winback-analysis-worker",
    apply: "build",
    transform(code, id, options) {
      if (!options?.ssr || id !== client) return null;
      if (!code.includes(source)) this.error(`${client} no longer holds ${source}: update vite.config.ts (analysisWorker)`);
      const ref = this.emitFile({ type: "chunk", id: path.resolve("app/analysis/worker.ts"), fileName: "analysis-worker.js" });
      return { code: code.replace(source, `new URL(import.meta.ROLLUP_FILE_URL_${ref})`), map: null };
    },
  };
}

export default defineConfig({
  server: {
    allowedHosts: [host],
    cors: { preflightContinue: true },
    port: Number(process.env.PORT || 3000),
    hmr: hmrConfig,
    fs: { allow: ["app", "node_modules"] },
  },
  plugins: [
    remix({
      ignoredRouteFiles: ["**/.*", "**/*.test.ts", "**/*.test.tsx"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: false,
        v3_routeConfig: true,
      },
    }),
    tsconfigPaths(),
    syncParseWorker(),
    analysisWorker(),
  ],
  build: { assetsInlineLimit: 0 },
  optimizeDeps: { include: ["@shopify/app-bridge-react", "@shopify/polaris"] },
}) satisfies UserConfig;
