// PLACEHOLDER being replaced in this session by the real guard (libpg-query based). Signatures are fixed.

export type GuardResult =
  | { ok: true; /** The text to embed, exactly as validated. */ sql: string; /** Column names it references (lower case). */ columns: string[] }
  | { ok: false; message: string; /** 1-based offset into the text, when known. */ position?: number };

/** A `sql` quality rule's `expression`: one boolean expression over the row's columns. */
export const checkSqlExpression = (text: string): GuardResult =>
  text.includes(";") ? { ok: false, message: "must not contain ';'" } : { ok: true, sql: text, columns: [] };

/** A `sql` quality rule's `query`: one read-only SELECT returning a single count. */
export const checkSqlQuery = (text: string): GuardResult =>
  text.includes(";") ? { ok: false, message: "must not contain ';'" } : { ok: true, sql: text, columns: [] };
