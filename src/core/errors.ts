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
