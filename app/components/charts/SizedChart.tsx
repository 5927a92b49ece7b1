import { useEffect, useId, useState, type ReactElement } from "react";
import { ResponsiveContainer } from "recharts";

/**
 * Recharts (2.x) draws its SVG in renderToString when the chart has a numeric width, but a
 * ResponsiveContainer measures the DOM and renders nothing on the server. So the server, and the
 * first client render (hydration must match), draw the chart at a fixed width; once mounted it
 * follows its card's width. The chart is in the HTML without JavaScript and never jumps in height.
 *
 * Recharts names each chart's clip path from a module-wide counter unless the chart has an `id`;
 * the server's counter keeps counting across requests while the browser's starts at 1, so the
 * server's `recharts6-clip` would meet the client's `recharts2-clip` in hydration. The id given to
 * the chart comes from React's `useId`, which is the same on both sides.
 *
 * For the same reason every axis needs a numeric `interval`: with the default ("preserveEnd") the
 * browser measures its tick labels and drops or shifts the ones that would overlap, while the
 * server, which cannot measure text, keeps them all, and the two SVGs differ.
 */
export function SizedChart({
  height,
  serverWidth = 560,
  label,
  id,
  children,
}: {
  height: number;
  serverWidth?: number;
  label: string;
  id?: string;
  /** Builds the chart (spread `size` into it); `width` is set for the fixed-width render, left out inside the responsive container. */
  children: (size: { width?: number; height: number; id: string }) => ReactElement;
}) {
  const chartId = `chart${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;
  const [mounted, setMounted] = useState(false);
  // eslint-disable-next-line react-hooks/set-state-in-effect -- deliberate second render after hydration: the server and the first client render must match
  useEffect(() => setMounted(true), []);
  return (
    <div id={id} role="img" aria-label={label} style={{ height, width: "100%", overflow: "hidden" }}>
      {mounted ? (
        <ResponsiveContainer width="100%" height={height}>
          {children({ height, id: chartId })}
        </ResponsiveContainer>
      ) : (
        children({ width: serverWidth, height, id: chartId })
      )}
    </div>
  );
}
