import { type ApiCall, query } from "./api-client.ts";
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

/** One page of an API listing, as the list routes answer it. */
// biome-ignore lint/suspicious/noExplicitAny: pages read the documented response bodies loosely
export type ListPage<T = any> = { content: T[]; cursor: string | null; total_elements?: number };

/**
 * An API list for a console page: the page's query parameters named in `filters` are passed on
 * (with the `cursor` of the page's "Next page" link unless `paged` is false); when the call
 * fails the list is empty and `error` says why, else `error` is the flash error.
 */
// biome-ignore lint/suspicious/noExplicitAny: pages read the documented response bodies loosely
export const loadList = async <T = any, F extends string = string>(
  ctx: PageContext,
  path: string,
  {
    filters = [],
    size = 50,
    paged = true,
    error,
  }: { filters?: readonly F[]; size?: number; paged?: boolean; error?: string } = {},
): Promise<{ page: ListPage<T>; filters: Record<F, string | undefined>; error: string | undefined }> => {
  const values = Object.fromEntries(filters.map((f) => [f, param(ctx, f)])) as Record<F, string | undefined>;
  const search = query({ ...values, ...(paged ? { cursor: param(ctx, "cursor") } : {}), size });
  const res = await ctx.call<ListPage<T>>(
    "GET",
    path.includes("?") ? `${path}&${search.slice(1)}` : `${path}${search}`,
  );
  return res.ok
    ? { page: res.body, filters: values, error }
    : { page: { content: [], cursor: null }, filters: values, error: apiError(res.body) };
};
