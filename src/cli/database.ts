// What the commands that work on Covenant's database directly, from the server's machine (keys,
// sources), share: opening the database, finding an installation, printing rows as a table.
import { CovenantError } from "../core/errors.ts";
import type { Db } from "../db/client.ts";
import type { CliIO } from "./io.ts";

/** Opens the database named by the environment (migrating it first) for the length of `run`. */
export const withDb = async <T>(io: CliIO, run: (db: Db) => Promise<T>): Promise<T> => {
  // Loaded here so that commands which never touch the database do not load Prisma.
  const { openDatabase, resolveDatabaseUrl } = await import("../db/client.ts");
  const db = await openDatabase(resolveDatabaseUrl(io.env));
  try {
    return await run(db);
  } finally {
    await db.close();
  }
};

/** The installation of a GitHub account login; the local one is created on first use. */
export const installationOf = async (db: Db, login: string) => {
  const { ensureInstallation, findInstallationByLogin, LOCAL_INSTALLATION_LOGIN } = await import(
    "../db/installations.ts"
  );
  const installation =
    login === LOCAL_INSTALLATION_LOGIN
      ? await ensureInstallation(db, login)
      : await findInstallationByLogin(db, login);
  if (!installation) {
    throw new CovenantError(
      "not_found",
      `No installation for account "${login}": install the GitHub App on it first, or omit --installation to use the local one.`,
    );
  }
  return installation;
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
