import { CovenantError } from "../core/errors.ts";
import { ACCEPTED_SOURCES, isPostgresUrl, redactLocation } from "./location.ts";
import { openPostgresSource } from "./postgres.ts";
import { openSqliteSource } from "./sqlite.ts";
import { type DataSource, SOURCE_KINDS, type SourceSpec } from "./types.ts";

export { detectSourceKind, redactLocation } from "./location.ts";

/**
 * Opens a data source read-only. A missing or unreadable file, a file that is not what its kind
 * says, or a database that cannot be reached fails with a CovenantError that names the location
 * (passwords masked) and what to do.
 */
export const openSource = async (spec: SourceSpec): Promise<DataSource> => {
  const { kind, location } = spec;
  if (location.trim() === "")
    throw new CovenantError("invalid_input", `the data source location is empty: give ${ACCEPTED_SOURCES}`);
  switch (kind) {
    case "postgres":
      if (!isPostgresUrl(location)) {
        throw new CovenantError(
          "invalid_input",
          `${redactLocation(location)} is not a PostgreSQL URL: write postgresql://user@host:5432/database`,
        );
      }
      return openPostgresSource(location, spec.server);
    case "sqlite":
      return openSqliteSource(location);
    case "csv":
    case "jsonl":
    case "parquet":
      // DuckDB (a native library) loads when a file source is first opened, not with the server.
      return (await import("./duckdb-files.ts")).openFileSource(kind, location);
    default:
      throw new CovenantError(
        "invalid_input",
        `unknown data source kind ${JSON.stringify(kind)}: use one of ${SOURCE_KINDS.join(", ")}`,
      );
  }
};
