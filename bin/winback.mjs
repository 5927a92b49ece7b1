#!/usr/bin/env node
// Runs the TypeScript CLI through tsx in a child Node so `winback` works without a build step.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = createRequire(join(root, "package.json")).resolve("tsx");
const res = spawnSync(process.execPath, ["--import", tsx, join(root, "app/cli/winback.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(res.status ?? 1);
