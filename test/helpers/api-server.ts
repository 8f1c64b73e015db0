// The API on a real HTTP server (port 0) over a real database, for tests and the benchmark.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type ApiOptions, createApi } from "../../src/api/create-api.ts";
import { createApiKey } from "../../src/db/api-keys.ts";
import type { Db } from "../../src/db/client.ts";
import { createInstallation } from "../../src/db/installations.ts";
import { type DatabaseKind, openApiTestDatabase } from "./api-db.ts";

export type ApiHarness = {
  db: Db;
  base: string;
  logged: unknown[];
  close: () => Promise<void>;
};

export const startApi = async (db: Db, options: Omit<ApiOptions, "db"> = {}) => {
  const logged: unknown[] = [];
  const api = createApi({
    db,
    logger: { error: (obj) => logged.push(obj), warn: (obj) => logged.push(obj) },
    ...options,
  });
  const server = serve({ fetch: api.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    api,
    logged,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
};

export const startApiOn = async (kind: DatabaseKind, options: Omit<ApiOptions, "db"> = {}) => {
  const database = await openApiTestDatabase(kind);
  const running = await startApi(database.db, options);
  return {
    ...running,
    db: database.db,
    close: async () => {
      await running.close();
      await database.drop();
    },
  };
};

/** A tenant with a key of each scope. */
export const createTenant = async (db: Db, login: string) => {
  const installation = await createInstallation(db, { accountLogin: login });
  const key = async (scope: "read" | "manage" | "admin") =>
    (await createApiKey(db, { installationId: installation.id, name: `${login}-${scope}`, scope })).secret;
  return { installation, admin: await key("admin"), manage: await key("manage"), read: await key("read") };
};

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely; assertions check them
export type Reply = { status: number; headers: Headers; body: any; text: string };

/** Calls the API at `base` with a key (by default `defaultKey()`); the body is parsed when it is JSON. */
export const caller =
  (base: string, defaultKey: () => string) =>
  async (method: string, path: string, body?: unknown, key = defaultKey()): Promise<Reply> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
