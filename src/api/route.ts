import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { ApiKeyScope } from "../db/api-keys.ts";
import { requireScope } from "./auth.ts";
import { ErrorSchema } from "./schemas.ts";

export const V1 = "/api/v1";

export const SECURITY: Record<string, string[]>[] = [
  { bearerAuth: [] },
  { apiKeyHeader: [] },
  { basicAuth: [] },
];

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

const ERROR_RESPONSES = {
  400: error("Invalid input: `details` lists each field path (and line:column for YAML)"),
  401: error("Missing, invalid or revoked API key"),
  403: error("The API key's scope does not allow this operation"),
  404: error("Not found (objects of another installation are never found)"),
  429: error("Rate limit exceeded; see Retry-After"),
  500: error("Internal error (logged)"),
} as const;

const TOO_LARGE = { 413: error("Request body larger than the limit") } as const;

/**
 * A route of the API: the scope it needs is enforced by middleware and stated in the
 * description; the common error responses are documented on every route (and 413 on every
 * route taking a body: the body limit applies to all of them).
 */
export const apiRoute = <const R extends Omit<RouteConfig, "middleware" | "security">>(
  scope: ApiKeyScope,
  config: R,
) =>
  createRoute({
    ...config,
    description: `${config.description ?? config.summary ?? ""}\n\nRequires scope \`${scope}\`.`.trim(),
    security: SECURITY,
    middleware: [requireScope(scope)] as const,
    responses: {
      ...ERROR_RESPONSES,
      ...(config.request?.body ? TOO_LARGE : {}),
      ...config.responses,
    },
  });

export const conflictResponse = {
  409: error("Conflict with the current state (message says which)"),
} as const;
export const tooLargeResponse = TOO_LARGE;
