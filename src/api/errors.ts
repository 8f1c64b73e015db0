import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { CovenantError, type ErrorCode, type ErrorDetail } from "../core/errors.ts";

/** The one place where an error code becomes an HTTP status. */
export const HTTP_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  source_unavailable: 502,
  timeout: 504,
};

const CODE_OF_STATUS: Record<number, string> = {
  400: "invalid_input",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable",
  429: "rate_limited",
};

export const WWW_AUTHENTICATE = 'Bearer realm="covenant", Basic realm="covenant"';

export type ErrorBody = {
  code: string;
  message: string;
  details?: Array<{ path: string; message: string; line?: number; column?: number }>;
};

const publicDetails = (details: readonly ErrorDetail[]) =>
  details.map((d) => ({
    path: d.path ?? "",
    message: d.message,
    ...(d.line !== undefined ? { line: d.line } : {}),
    ...(d.column !== undefined ? { column: d.column } : {}),
  }));

export type ApiLogger = {
  error: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
};

/** Renders any error as `{ code, message, details? }`; unexpected ones are logged and hidden. */
export const errorResponse = (c: Context, error: unknown, logger: ApiLogger): Response => {
  if (error instanceof CovenantError) {
    const status = HTTP_STATUS[error.code];
    const body: ErrorBody = { code: error.code, message: error.message };
    if (error.details.length > 0) body.details = publicDetails(error.details);
    if (status === 401) c.header("WWW-Authenticate", WWW_AUTHENTICATE);
    if (error instanceof RateLimitedError) c.header("Retry-After", String(error.retryAfterSeconds));
    if (status >= 500)
      logger.error({ err: error, method: c.req.method, path: c.req.path }, "API request failed");
    return c.json(body, status);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    if (status === 415)
      return c.json({ code: "unsupported_media_type", message: unsupportedMediaType(c) }, 415);
    if (status < 500) {
      const message =
        error.message === "Malformed JSON in request body"
          ? "Malformed JSON in request body: send a valid JSON document with content-type application/json."
          : error.message || "Bad request.";
      return c.json({ code: CODE_OF_STATUS[status] ?? "invalid_input", message }, status);
    }
  }
  logger.error({ err: error, method: c.req.method, path: c.req.path }, "API request failed");
  return c.json({ code: "internal", message: "Internal server error; it has been logged." }, 500);
};

/** Routes whose body carries a contract's YAML as `contents`. */
const TAKES_CONTENTS = /\/contracts(\/[^/]+\/versions)?\/?$/;

/**
 * A 415 says what to send instead. The usual mistake is posting a contract's YAML file as the body
 * (curl --data-binary @orders.yaml): the API takes JSON, with the YAML as a string in `contents`.
 */
const unsupportedMediaType = (c: Context): string => {
  const type = c.req.header("content-type");
  const sent = type
    ? `content-type ${type.split(";")[0]?.trim().slice(0, 80)}`
    : "a body without content-type";
  const base = `This route takes JSON: send content-type: application/json (got ${sent}).`;
  if (!TAKES_CONTENTS.test(c.req.path)) return base;
  return (
    `${base} To send a contract's YAML, wrap it in JSON as a string: {"contents": "name: orders\\nversion: 1.0.0\\n…"}, ` +
    `e.g. jq -Rs '{contents: .}' orders.yaml | curl -X ${c.req.method} -H 'content-type: application/json' --data-binary @- …`
  );
};

export class RateLimitedError extends CovenantError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many requests for this API key: retry after ${retryAfterSeconds} s.`,
  ) {
    super("rate_limited", message);
  }
}

/** zod issues as `{ path, message }` with dotted paths (`dataset.name`, `rows[3]`). */
export const zodDetails = (error: z.ZodError, prefix = ""): ErrorDetail[] =>
  error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (out, seg) =>
        typeof seg === "number" ? `${out}[${seg}]` : out === "" ? String(seg) : `${out}.${String(seg)}`,
      prefix,
    );
    return { path, message: path === "" ? issue.message : `${path}: ${issue.message}` };
  });

export const invalidInput = (message: string, details: ErrorDetail[] = []): CovenantError =>
  new CovenantError("invalid_input", message, details);

export const notFound = (what: string): CovenantError => new CovenantError("not_found", `${what} not found.`);
