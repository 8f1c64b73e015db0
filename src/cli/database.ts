// What the commands that work on Covenant's database directly, from the server's machine (keys,
// sources), share: opening the database, finding an installation, printing rows as a table.
import { CovenantError } from "../core/errors.ts";
import type { Db } from "../db/client.ts";
import { type CliIO, settingOrigin } from "./io.ts";

/** Covenant's database as the server started from the same directory sees it, said with --verbose. */
export const cliDatabaseUrl = async (io: CliIO): Promise<{ url: string; description: string }> => {
  const { loadConfig } = await import("../config.ts");
  const { describeDatabase } = await import("../db/database-url.ts");
  const url = loadConfig(io.env).DATABASE_URL;
  const description = describeDatabase(url);
  if (io.verbose) io.stderr(`covenant: database ${description} (${settingOrigin(io, "DATABASE_URL")})\n`);
  return { url, description };
};

/** Opens the database named by the environment (migrating it first) for the length of `run`. */
export const withDb = async <T>(io: CliIO, run: (db: Db, database: string) => Promise<T>): Promise<T> => {
  const { url, description } = await cliDatabaseUrl(io);
  // Loaded here so that commands which never touch the database do not load Prisma.
  const { openDatabase } = await import("../db/client.ts");
  const db = await openDatabase(url);
  try {
    return await run(db, description);
  } finally {
    await db.close();
  }
};

/**
 * The installation named on the command line: a GitHub account login, the App's installation id,
 * or Covenant's own id; the local one is created on first use. An unknown name lists those known.
 */
export const installationOf = async (db: Db, name: string) => {
  const { ensureInstallation, installationStopReason, listInstallations, LOCAL_INSTALLATION_LOGIN } =
    await import("../db/installations.ts");
  if (name === LOCAL_INSTALLATION_LOGIN) return ensureInstallation(db, name);
  const known = await listInstallations(db);
  // A login may have an uninstalled installation and a newer live one: the live one is meant.
  const matches = known.filter(
    (row) => row.accountLogin === name || String(row.githubId) === name || row.id === name,
  );
  const installation = matches.find((row) => row.deletedAt === null) ?? matches[0];
  if (installation) {
    const stopped = installationStopReason(installation);
    if (stopped) throw new CovenantError("invalid_input", stopped);
    return installation;
  }
  throw new CovenantError(
    "not_found",
    `No installation "${name}" in this database. ${
      known.length === 0
        ? "There is none yet: install the GitHub App on the organization (GitHub then sends the installation to Covenant), or omit --installation to use the local one."
        : "Name one of these by login or installation id, or install the GitHub App on the account first (GitHub then sends the installation to Covenant):"
    }`,
    known.map((row) => ({
      message:
        row.githubId === null
          ? `${row.accountLogin} (local: sees no GitHub data)`
          : `${row.accountLogin} (${row.accountType}, installation id ${row.githubId}${
              row.deletedAt ? ", uninstalled" : row.suspendedAt ? ", suspended" : ""
            })`,
    })),
  );
};

/** A time to the second (UTC), or "-". */
export const formatDate = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

/** Rows as aligned columns; the first row is the header. */
export const printTable = (io: CliIO, table: string[][]) => {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  for (const row of table) {
    io.stdout(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
};
