import type { Context } from "hono";

/**
 * The client's address: the connection's peer, or, behind `trustProxy` proxies, the address the
 * outermost trusted proxy saw in X-Forwarded-For. Without trusted proxies the header is ignored,
 * so a client cannot pick the address it is throttled as.
 */
export const clientAddress = (c: Context, trustProxy: number): string => {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress ?? "unknown";
  if (trustProxy <= 0) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxy)] ?? peer;
};
