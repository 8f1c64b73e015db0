import type { Hono } from "hono";
import type { AuthContext } from "../api/auth.ts";

// The console reads and writes through the documented /api/v1 routes only, called in-process (no
// network hop, same validation, scopes, tenancy and errors as any API client), with the signed-in
// user's context in place of an API key.

// biome-ignore lint/suspicious/noExplicitAny: pages read the documented response bodies loosely
export type ApiReply<T = any> = { status: number; ok: boolean; body: T };

// biome-ignore lint/suspicious/noExplicitAny: pages read the documented response bodies loosely
export type ApiCall = <T = any>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
) => Promise<ApiReply<T>>;

// biome-ignore lint/suspicious/noExplicitAny: any Hono app with the API's routes
export const apiCaller = (api: Hono<any>, auth: AuthContext, env: object): ApiCall =>
  (async (method, path, body) => {
    const res = await api.request(
      `/api/v1${path}`,
      {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      { ...env, consoleAuth: auth },
    );
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, ok: res.ok, body: parsed };
  }) as ApiCall;

/** Query string from the defined, non-empty values. */
export const query = (params: Record<string, string | number | undefined | null>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};
