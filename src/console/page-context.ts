import type { ApiCall } from "./api-client.ts";
import type { Viewer } from "./layout.tsx";

export type PageContext = {
  call: ApiCall;
  viewer: Viewer;
  url: URL;
  /** GitHub's web address (github.com, or the GHE_HOST server) for links to PRs and files. */
  githubWeb: string;
};

export const param = (ctx: PageContext, name: string): string | undefined => {
  const value = ctx.url.searchParams.get(name);
  return value === null || value === "" ? undefined : value;
};

/** An API error as one sentence for the page. */
export const apiError = (body: unknown): string => {
  const b = body as
    | { message?: string; details?: { path?: string; message: string; line?: number }[] }
    | undefined;
  const detail = b?.details
    ?.slice(0, 3)
    .map((d) => `${d.path ? `${d.path}` : ""}${d.line ? ` (line ${d.line})` : ""}: ${d.message}`)
    .join("; ");
  return `${b?.message ?? "The request failed."}${detail ? ` ${detail}` : ""}`;
};

export const canManage = (viewer: Viewer) => viewer.scope === "manage" || viewer.scope === "admin";
export const isAdmin = (viewer: Viewer) => viewer.scope === "admin";
