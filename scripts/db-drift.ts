// `npm run db:drift` (part of `npm run check`): fails when prisma/schema.prisma and the committed
// migrations of either provider disagree.
import { adminPgUrl, checkDrift } from "../src/db/migration-authoring.ts";

const main = async (env: NodeJS.ProcessEnv): Promise<number> => {
  const results = await checkDrift({
    adminPgUrl: adminPgUrl(env),
    ...(env.COVENANT_SCHEMA_PATH ? { schemaPath: env.COVENANT_SCHEMA_PATH } : {}),
    ...(env.COVENANT_MIGRATIONS_ROOT ? { migrationsRoot: env.COVENANT_MIGRATIONS_ROOT } : {}),
  });
  const drifted = results.filter((r) => r.drift);
  if (drifted.length === 0) {
    process.stdout.write(
      `Migrations match prisma/schema.prisma (${results.map((r) => r.provider).join(", ")}).\n`,
    );
    return 0;
  }
  for (const result of drifted) {
    process.stderr.write(
      `prisma/schema.prisma differs from the committed ${result.provider} migrations:\n${result.summary}\n\n`,
    );
  }
  process.stderr.write(
    "Create a migration for the schema change with `npm run db:migration -- <name>` and commit it; never edit or hand-write migration SQL.\n",
  );
  return 1;
};

main(process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
