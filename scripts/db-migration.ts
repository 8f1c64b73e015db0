// `npm run db:migration -- <name>`: after editing prisma/schema.prisma, writes the migration for
// every provider (computed by Prisma's schema engine, never by hand) and regenerates the clients.
import { execFileSync } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { adminPgUrl, createMigrations } from "../src/db/migration-authoring.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const main = async (argv: string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const name = argv.filter((arg) => !arg.startsWith("-")).join("_");
  if (!name) {
    process.stderr.write("Usage: npm run db:migration -- <name>   (e.g. add_contract_owner)\n");
    return 1;
  }
  const created = await createMigrations(name, { adminPgUrl: adminPgUrl(env) });
  if (created.length === 0) {
    process.stderr.write(
      "Nothing to migrate: prisma/schema.prisma already matches the committed migrations of every provider. " +
        "Edit the schema first; no migration was written.\n",
    );
    return 1;
  }
  for (const migration of created) {
    const statements = migration.sql.split(";").filter((s) => s.trim() !== "").length;
    process.stdout.write(
      `Wrote ${relative(root, migration.path)} (${migration.provider}, ~${statements} statements)\n`,
    );
  }
  execFileSync(
    process.execPath,
    [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "scripts", "prisma-generate.ts")],
    { stdio: "inherit" },
  );
  process.stdout.write(
    "Regenerated the Prisma clients (src/db/generated). Review the SQL above and commit the new migration folders with the schema change.\n",
  );
  return 0;
};

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
