/**
 * The one error type of Covenant. Every edge translates `code` into its own language:
 * an HTTP status in the API, an exit code in the CLI, a completed check run in the App.
 */
export type ErrorCode =
  | "invalid_input" // 400 / exit 2
  | "unauthorized" // 401
  | "forbidden" // 403
  | "not_found" // 404
  | "conflict" // 409
  | "payload_too_large" // 413
  | "unprocessable" // 422: well-formed, but the data source cannot do it (unknown column in a rule, …)
  | "source_unavailable" // 502: a registered data source cannot be reached or opened
  | "timeout" // 504: a data source query ran past its statement timeout
  | "rate_limited" // 429
  | "internal"; // 500

export type ErrorDetail = { path?: string; message: string; file?: string; line?: number; column?: number };

export class CovenantError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = "CovenantError";
    this.code = code;
    this.details = details;
  }
}

export const isCovenantError = (error: unknown): error is CovenantError => error instanceof CovenantError;
