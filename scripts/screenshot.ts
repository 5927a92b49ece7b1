// Screenshots of a running demo for the README: `npx tsx scripts/screenshot.ts <admin-frame-url> <out.png> [appPath]`.
// Waits for the embedded app to render inside the admin frame, then captures the whole frame page.
import { launchBrowser, newContext } from "../test/support/browser";

const [url, out, appPath = ""] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: tsx scripts/screenshot.ts <admin-frame-url> <out.png> [appPath]");
  process.exit(2);
}
const browser = await launchBrowser();
try {
  const page = await (await newContext(browser)).newPage();
  // The app scrolls inside the admin frame's iframe, so a full-page capture needs a tall viewport.
  await page.setViewportSize({ width: 1400, height: Number(process.env.HEIGHT ?? 1000) });
  // Hydration mismatches and runtime errors show up here (from the app's iframe too).
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.error(`[browser ${m.type()}] ${m.text()}`);
  });
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${url}${appPath}`);
  const frame = page.frameLocator("iframe").first();
  await frame.locator(".Polaris-Page").first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(Number(process.env.SETTLE_MS ?? 2500));
  await page.screenshot({ path: out, fullPage: true });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}
