import { useEffect, useState, type ReactElement } from "react";
import { ResponsiveContainer } from "recharts";

/**
 * Recharts (2.x) draws its SVG in renderToString when the chart has a numeric width, but a
 * ResponsiveContainer measures the DOM and renders nothing on the server. So the server, and the
 * first client render (hydration must match), draw the chart at a fixed width; once mounted it
 * follows its card's width. The chart is in the HTML without JavaScript and never jumps in height.
 */
export function SizedChart({ height, serverWidth = 560, label, id, children }: {
  height: number;
  serverWidth?: number;
  label: string;
  id?: string;
  /** Builds the chart; `width` is set for the fixed-width render, left out inside the responsive container. */
  children: (size: { width?: number; height: number }) => ReactElement;
}) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <div id={id} role="img" aria-label={label} style={{ height, width: "100%", overflow: "hidden" }}>
      {mounted ? <ResponsiveContainer width="100%" height={height}>{children({ height })}</ResponsiveContainer> : children({ width: serverWidth, height })}
    </div>
  );
}
