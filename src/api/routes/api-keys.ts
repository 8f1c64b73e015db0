import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../../db/api-keys.ts";
import type { Db } from "../../db/client.ts";
import type { ApiEnv } from "../auth.ts";
import { presentApiKey } from "../present.ts";
import { apiRoute, V1 } from "../route.ts";
import {
  ApiKeyListSchema,
  ApiKeySchema,
  CreateApiKeyBody,
  CreatedApiKeySchema,
  IdParam,
} from "../schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const createRoute = apiRoute("admin", {
  method: "post",
  path: `${V1}/api-keys`,
  tags: ["API keys"],
  summary: "Create an API key",
  description: "The secret (`key`) is in this response only; Covenant stores its sha256 and prefix.",
  request: { body: { required: true, content: json(CreateApiKeyBody) } },
  responses: { 201: { description: "Created", content: json(CreatedApiKeySchema) } },
});

const listRoute = apiRoute("admin", {
  method: "get",
  path: `${V1}/api-keys`,
  tags: ["API keys"],
  summary: "List API keys (never their secrets)",
  responses: {
    200: { description: "Keys, oldest first, revoked included", content: json(ApiKeyListSchema) },
  },
});

const revokeRoute = apiRoute("admin", {
  method: "delete",
  path: `${V1}/api-keys/{id}`,
  tags: ["API keys"],
  summary: "Revoke an API key",
  description: "The key stops working at once; it stays listed with `revokedAt`.",
  request: { params: IdParam },
  responses: { 200: { description: "The revoked key", content: json(ApiKeySchema) } },
});

export const registerApiKeyRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(createRoute, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const { apiKey, secret } = await createApiKey(db, {
      installationId: auth.installationId,
      name: body.name,
      scope: body.scope,
      createdBy: auth.actor,
    });
    c.header("Location", `${V1}/api-keys/${apiKey.id}`);
    c.header("Cache-Control", "no-store");
    return c.json({ ...presentApiKey(apiKey), key: secret }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const rows = await listApiKeys(db, c.get("auth").installationId);
    return c.json({ content: rows.map(presentApiKey) }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const row = await revokeApiKey(db, c.get("auth").installationId, c.req.valid("param").id);
    return c.json(presentApiKey(row), 200);
  });
};
