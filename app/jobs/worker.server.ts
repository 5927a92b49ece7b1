/**
 * The server entry's handle on background work. Everything lives in the composition root
 * (app/app.server.ts); app/entry.server.tsx still imports startBackgroundWork from here. No
 * module under app/ other than the server entry may import this file (test/unit/architecture.test.ts).
 */
export { afterInstallHooks, features, jobDefinitions, jobQueue, startBackgroundWork } from "../app.server";
