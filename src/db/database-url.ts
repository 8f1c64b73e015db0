// What DATABASE_URL may be, how to name the database it selects without its password, and what to
// tell the user when it cannot be used. Kept free of Prisma so configuration can load it cheaply.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CovenantError } from "../core/errors.ts";

export const ACCEPTED_DATABASE_URLS =
  "postgresql://user@host:5432/db (or postgres://) for PostgreSQL, or file:./data/covenant.db (file:/absolute/path.db) for a SQLite file";

/** The URL with any password replaced, for messages. */
export const redactUrl = (url: string): string =>
  url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");

/** Why `url` cannot be Covenant's database, or undefined when it can. */
export const databaseUrlProblem = (url: string): string | undefined => {
  const shown = redactUrl(url);
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      new URL(url);
      return undefined;
    } catch {
      return `"${shown}" is not a valid URL: use ${ACCEPTED_DATABASE_URLS}`;
    }
  }
  if (/^file:/i.test(url)) {
    const path = url.replace(/^file:/i, "").replace(/\?.*$/, "");
    if (/^\/\/[^/]/.test(path)) {
      return `"${shown}" names a host; a SQLite file is file:./relative/path.db or file:/absolute/path.db`;
    }
    if (path.replace(/^\/\//, "") === "" || path.endsWith("/")) {
      return `"${shown}" names no file: use file:./data/covenant.db or another path ending in a file name`;
    }
    return undefined;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  const what = scheme
    ? `the ${scheme}: scheme is not supported (Covenant keeps its own data in PostgreSQL or SQLite only)`
    : "it is neither a PostgreSQL URL nor a SQLite file: URL";
  return `"${shown}": ${what}. Use ${ACCEPTED_DATABASE_URLS}`;
};

const isPostgres = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** The SQLite file of a file: URL, absolute (relative paths start at the working directory). */
const sqliteFile = (url: string): string => resolve(url.replace(/^file:(\/\/)?/i, "").replace(/\?.*$/, ""));

/** The database a URL selects, for banners and messages: a file path, or user@host:port/db, never a password. */
export const describeDatabase = (url: string): string => {
  if (!isPostgres(url)) return `SQLite file ${sqliteFile(url)}`;
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : "";
    const host = parsed.host || "localhost";
    return `PostgreSQL ${user}${host}${parsed.pathname || "/"}`;
  } catch {
    return "PostgreSQL (unparseable URL)";
  }
};

/**
 * Creates the directory of a SQLite file, but only that one: a missing parent means a typo or a
 * path meant for another machine, and creating a tree of directories there would hide it.
 */
export const ensureSqliteDirectory = (url: string): void => {
  const directory = dirname(sqliteFile(url));
  if (existsSync(directory)) return;
  const parent = dirname(directory);
  if (!existsSync(parent)) {
    throw new CovenantError(
      "invalid_input",
      `DATABASE_URL names the SQLite file ${sqliteFile(url)}, but ${parent} does not exist: create it, or fix DATABASE_URL (a relative path starts at ${process.cwd()})`,
    );
  }
  mkdirSync(directory);
};

const PG_CODES: Record<string, (where: string, database: string) => string> = {
  "3D000": (where, database) =>
    `the PostgreSQL database "${database}" does not exist on ${where}: create it (createdb ${database}, or CREATE DATABASE "${database}"), or point DATABASE_URL at an existing database`,
  "28P01": (where) =>
    `PostgreSQL at ${where} refused the user name or password in DATABASE_URL: fix them (the password goes in the URL, percent-encoded)`,
  "28000": (where) =>
    `PostgreSQL at ${where} does not allow this user to connect (pg_hba.conf): fix the user in DATABASE_URL or the server's pg_hba.conf`,
  ECONNREFUSED: (where) =>
    `PostgreSQL at ${where} refused the connection: start PostgreSQL there, or fix the host and port in DATABASE_URL`,
  ENOTFOUND: (where) => `the host of DATABASE_URL (${where}) is unknown: fix the host name in DATABASE_URL`,
  ETIMEDOUT: (where) =>
    `PostgreSQL at ${where} did not answer: check that it runs and that this machine may reach it, or fix DATABASE_URL`,
};

const errorCodes = (error: unknown): string[] => {
  const codes: string[] = [];
  for (
    let e = error as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === "string") codes.push(e.code);
    for (const inner of Array.isArray(e.errors) ? e.errors : []) codes.push(...errorCodes(inner));
    e = e.cause as typeof e;
  }
  return codes;
};

/**
 * A connection failure to Covenant's own PostgreSQL as a message naming DATABASE_URL and what to
 * do; other errors are returned unchanged.
 */
export const explainDatabaseError = (error: unknown, url: string): unknown => {
  if (!isPostgres(url) || error instanceof CovenantError) return error;
  const explain = errorCodes(error)
    .map((code) => PG_CODES[code])
    .find(Boolean);
  if (!explain) return error;
  let where = "the host in DATABASE_URL";
  let database = "";
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname || "localhost"}:${parsed.port || "5432"}`;
    database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username);
  } catch {}
  return new CovenantError(
    "invalid_input",
    `Cannot use DATABASE_URL (${describeDatabase(url)}): ${explain(where, database)}`,
  );
};
