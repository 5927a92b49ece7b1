import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// One runner for everything. Browser (e2e) tests live in test/e2e and need Debian chromium;
// tests that need PostgreSQL are selected by TEST_DATABASE_URL (CI always sets it).
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ["app/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
