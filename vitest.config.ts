import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// One runner for everything, in two projects: "unit" (pure code, no database, emulator or browser:
// app/**/*.test.ts and test/unit) for `npm run test:unit`, and "integration" (the rest of test/).
// `vitest run` runs both. Browser (e2e) tests live in test/e2e and need Debian chromium; tests
// that need PostgreSQL are selected by TEST_DATABASE_URL (CI always sets it).
const UNIT = ["app/**/*.test.ts", "test/unit/**/*.test.ts"];

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    // Safety nets only (issue 16: the suite must pass on a slow, busy machine). No test asserts a
    // duration; these limits only end a test that is truly stuck.
    testTimeout: 240_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"], exclude: ["test/unit/**", "**/node_modules/**"] } },
    ],
  },
});
