import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CSS_FILE, JS_FILE, appEmbedAssets } from "./render-embed";

describe("points expiry banner assets", () => {
  it("ships JavaScript under 10 KB (Theme Check's app-block JS budget is 10,000 bytes)", () => {
    const bytes = statSync(JS_FILE).size;
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(10_000);
    expect(Buffer.byteLength(appEmbedAssets().js)).toBe(bytes);
  });

  it("keeps the CSS small", () => {
    expect(statSync(CSS_FILE).size).toBeLessThan(10_000);
  });
});
