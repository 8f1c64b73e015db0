// Generates the Prisma clients for SQLite and PostgreSQL from the one schema, without
// downloading Prisma's native engines (unreachable here and in CI): the client needs none,
// and the CLI only insists that PRISMA_SCHEMA_ENGINE_BINARY names a file, so we give it a
// stub that refuses to run. Migrations go through the WebAssembly engine (src/db/migrate.ts).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { schemaFor } from "../src/db/schema-engine.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = join(root, "node_modules", ".cache", "covenant-prisma");
mkdirSync(cacheDir, { recursive: true });

const stub = join(cacheDir, "schema-engine-stub.sh");
writeFileSync(
  stub,
  '#!/bin/sh\necho "Covenant runs Prisma migrations through the WebAssembly engine: use npm run db:migration / covenant db migrate" >&2\nexit 1\n',
);
chmodSync(stub, 0o755);

const source = readFileSync(join(root, "prisma", "schema.prisma"), "utf8");
const pgSchema = join(cacheDir, "postgres.prisma");
// The generated schema lives three folders deeper than prisma/, so its output path moves too.
writeFileSync(
  pgSchema,
  schemaFor("postgresql", source).replace("../src/db/generated/sqlite", "../../../src/db/generated/postgres"),
);

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
const prisma = join(root, "node_modules", "prisma", "build", "index.js");
for (const schema of [join(root, "prisma", "schema.prisma"), pgSchema]) {
  try {
    execFileSync(process.execPath, [prisma, "generate", "--schema", schema], {
      env,
      stdio: "pipe",
      cwd: root,
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`prisma generate failed for ${schema}:\n${stdout}${stderr}\n`);
    process.exit(1);
  }
}
