// The drift check behind `npm run db:drift`: schema.prisma against the committed migrations of
// both providers, replayed into real shadow databases (in-memory SQLite, a temporary PostgreSQL).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCHEMA_PATH } from "../src/db/migrate.ts";
import { checkDrift } from "../src/db/migration-authoring.ts";

const adminPgUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const root = join(import.meta.dirname, "..");

let work: string;
let driftedSchema: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "covenant-drift-test-"));
  driftedSchema = join(work, "schema.prisma");
  const schema = readFileSync(SCHEMA_PATH, "utf8");
  const edited = schema.replace("model Job {\n", "model Job {\n  driftProbe String?\n");
  expect(edited).not.toBe(schema);
  writeFileSync(driftedSchema, edited);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const runDriftScript = (env: Record<string, string>) =>
  promisify(execFile)(
    process.execPath,
    [join(root, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/db-drift.ts"],
    {
      cwd: root,
      env: { ...process.env, TEST_DATABASE_URL: adminPgUrl, ...env },
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

describe("checkDrift", () => {
  it("finds no drift between schema.prisma and the committed migrations", async () => {
    const results = await checkDrift({ adminPgUrl });
    expect(results.map((r) => [r.provider, r.drift])).toEqual([
      ["sqlite", false],
      ["postgresql", false],
    ]);
  });

  it("reports drift on both providers when the schema gains a field without a migration", async () => {
    const results = await checkDrift({ adminPgUrl, schemaPath: driftedSchema });
    expect(results.map((r) => [r.provider, r.drift])).toEqual([
      ["sqlite", true],
      ["postgresql", true],
    ]);
    for (const result of results) expect(result.summary).toContain("Job");
  });
});

describe("npm run db:drift", () => {
  it("fails with the command to run when the schema drifted", async () => {
    const { code, stderr } = await runDriftScript({ COVENANT_SCHEMA_PATH: driftedSchema });
    expect(code).toBe(1);
    expect(stderr).toContain("npm run db:migration -- <name>");
    expect(stderr).toContain("sqlite");
    expect(stderr).toContain("postgresql");
  });

  it("passes on the committed state", async () => {
    const { code, stdout } = await runDriftScript({});
    expect(code).toBe(0);
    expect(stdout).toContain("Migrations match prisma/schema.prisma");
  });
});
