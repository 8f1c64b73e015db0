import type { Command } from "commander";
import { loadConfig } from "../../config.ts";
import type { CliIO } from "../io.ts";

export const registerDb = (program: Command, io: CliIO) => {
  const db = program.command("db").description("Database maintenance");
  db.command("migrate")
    .description("Bring the database ($DATABASE_URL, default ./data/covenant.db) up to the current migration")
    .action(async () => {
      const config = loadConfig(io.env);
      const { migrateDatabase } = await import("../../db/migrate.ts");
      const { applied } = await migrateDatabase(config.DATABASE_URL);
      io.stdout(
        applied.length === 0
          ? "The database is up to date.\n"
          : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join("")}`,
      );
    });
  return db;
};
