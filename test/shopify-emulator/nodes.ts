// Global-ID lookup used by node/nodes; modules add resolvers per GID type.
import type { RequestContext } from "./engine";
import { parseGid } from "./state";

export const nodeResolvers = new Map<string, (ctx: RequestContext, legacyId: number, gid: string) => unknown>();

export function resolveNode(ctx: RequestContext, id: string): unknown {
  const p = parseGid(id);
  if (!p) return null;
  const r = nodeResolvers.get(p.type);
  if (!r) return null;
  return r(ctx, p.id, id) ?? null;
}
