import { closeSync, openSync, readSync, statSync } from "node:fs";
import { extname } from "node:path";
import { CovenantError } from "../core/errors.ts";
import { SOURCE_KINDS, type SourceKind } from "./types.ts";

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

const EXTENSIONS: Record<string, SourceKind> = {
  ".sqlite": "sqlite",
  ".sqlite3": "sqlite",
  ".db": "sqlite",
  ".csv": "csv",
  ".tsv": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "jsonl",
  ".parquet": "parquet",
};

export const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
export const PARQUET_MAGIC = Buffer.from("PAR1", "latin1");

export const ACCEPTED_SOURCES =
  "a postgresql:// URL, or a SQLite (.sqlite, .sqlite3, .db), CSV (.csv, .tsv), JSON lines (.jsonl, .ndjson, .json) or Parquet (.parquet) file";

export const isPostgresUrl = (location: string): boolean => POSTGRES_URL.test(location.trim());

/**
 * The location with any password masked: `postgresql://app:***@db/x`, including a `password=`
 * query parameter. Anything that is not a URL is a path and is returned as it is.
 */
export const redactLocation = (location: string): string => {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = "***";
    for (const key of [...url.searchParams.keys()]) {
      if (/^(password|pass|pwd|sslpassword)$/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.toString();
  } catch {
    // Not parseable as a URL: mask whatever sits between `user:` and `@` by hand.
    return location
      .replace(/(\/\/[^/:@]*:)[^@/]*@/, "$1***@")
      .replace(/((?:password|pass|pwd)=)[^&\s]*/gi, "$1***");
  }
};

/** Reads the first `length` bytes of a file (fewer when it is shorter). */
export const readHead = (path: string, length: number): Buffer => {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
};

/** Fails with a clear error unless `path` is a readable regular file. */
export const assertReadableFile = (path: string): void => {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      throw new CovenantError("invalid_input", `${path} is not a file: give ${ACCEPTED_SOURCES}`);
    }
    size = stat.size;
  } catch (error) {
    if (error instanceof CovenantError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new CovenantError("invalid_input", `${path} does not exist: check the path of the data source`);
    }
    throw new CovenantError(
      "source_unavailable",
      `${path} cannot be read (${code ?? (error as Error).message}): check its permissions`,
    );
  }
  try {
    readHead(path, 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CovenantError(
      "source_unavailable",
      `${path} cannot be read (${code ?? (error as Error).message}): check its permissions`,
    );
  }
  if (size === 0) throw new CovenantError("invalid_input", `${path} is empty: there is no data to validate`);
};

/**
 * What kind of source a location is: a Postgres URL, else a file judged by its extension, else by
 * its first bytes (SQLite and Parquet files start with a signature).
 */
export const detectSourceKind = (location: string): SourceKind => {
  if (isPostgresUrl(location)) return "postgres";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new CovenantError(
      "invalid_input",
      `${redactLocation(location)} is not a supported source: give ${ACCEPTED_SOURCES}`,
    );
  }
  const byExtension = EXTENSIONS[extname(location).toLowerCase()];
  if (byExtension) return byExtension;
  assertReadableFile(location);
  const head = readHead(location, 16);
  if (head.equals(SQLITE_MAGIC)) return "sqlite";
  if (head.subarray(0, 4).equals(PARQUET_MAGIC)) return "parquet";
  throw new CovenantError(
    "invalid_input",
    `cannot tell what kind of data ${location} holds (its extension says nothing and it is neither a SQLite nor a Parquet file): give ${ACCEPTED_SOURCES}, or name the kind (${SOURCE_KINDS.join(", ")})`,
  );
};
