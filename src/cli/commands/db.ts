import type { Command } from "commander";
import { cliDatabaseUrl } from "../database.ts";
import type { CliIO } from "../io.ts";

export const registerDb = (program: Command, io: CliIO) => {
  const db = program.command("db").description("Database maintenance");
  db.command("migrate")
    .description(
      "Bring the database (DATABASE_URL from the environment or .env, default file:./data/covenant.db) up to the current migration",
    )
    .action(async () => {
      const { url, description } = await cliDatabaseUrl(io);
      const { migrateDatabase } = await import("../../db/migrate.ts");
      const { applied } = await migrateDatabase(url);
      io.stdout(
        applied.length === 0
          ? `The database (${description}) is up to date.\n`
          : `Applied ${applied.length} migration(s) to ${description}:\n${applied.map((name) => `  ${name}\n`).join("")}`,
      );
    });
  return db;
};
