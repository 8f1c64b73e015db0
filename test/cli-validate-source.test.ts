import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase, type TestPgDatabase } from "./helpers/pg-database.ts";
import { CLEAN_ROWS, DIRTY_ROWS, writePgOrders, writeSqlite } from "./helpers/validation-data.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

// No freshness SLA: the CLI measures against the real clock.
const CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
    - { name: amount, type: integer }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+\\.[^@]+$' }
  - { id: amount_range, type: range, column: amount, min: 0, max: 1000 }
`;

let dir: string;
let pgDb: TestPgDatabase;

const covenant = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, cwd: dir });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-cli-validate-"));
  writeSqlite(join(dir, "dirty.db"), DIRTY_ROWS);
  writeSqlite(join(dir, "clean.db"), CLEAN_ROWS, { strict: true });
  writeFileSync(join(dir, "orders.yaml"), CONTRACT);
  writeFileSync(join(dir, "broken.yaml"), CONTRACT.replace("version: 1.0.0", "version: one"));
  writeFileSync(
    join(dir, "refused.yaml"),
    `${CONTRACT}  - { id: evil_regex, type: regex, column: status, pattern: '^(a)\\1$' }\n`,
  );
  writeFileSync(
    join(dir, "heavy.yaml"),
    `${CONTRACT}  - { id: heavy, type: sql, query: "SELECT count(*) FROM ${Array.from({ length: 12 }, (_, i) => `orders o${i}`).join(", ")}" }\n`,
  );
  pgDb = await createPgDatabase("covenant_cli_validate");
  await writePgOrders(pgDb, DIRTY_ROWS);
});

afterAll(async () => {
  await pgDb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("covenant validate --source (real CLI process)", { timeout: 120_000 }, () => {
  it("prints the documented JSON shape and exits 1 when rules fail", () => {
    const { code, stdout } = covenant(
      "validate",
      "--contract",
      "orders.yaml",
      "--source",
      "dirty.db",
      "--format",
      "json",
    );
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    // The API's names for the same things (a validation run): results / rule_id / sample_values.
    expect(Object.keys(json).slice(0, 6)).toEqual([
      "passed",
      "rows_evaluated",
      "rules_passed",
      "rules_failed",
      "rules_not_evaluated",
      "results",
    ]);
    expect(json.passed).toBe(false);
    expect(json.rows_evaluated).toBe(12);
    expect(json.rules_failed).toBe(5);
    expect(
      json.results
        .filter((r: { status: string }) => r.status === "failed")
        .map((r: { rule_id: string }) => r.rule_id),
    ).toEqual([
      "schema:contract-nullability-mismatch:status",
      "column:status:required",
      "column:status:accepted_values",
      "email_format",
      "amount_range",
    ]);
    for (const rule of json.results)
      expect(Object.keys(rule)).toEqual(
        expect.arrayContaining(["rule_id", "status", "failed_rows", "sample_values"]),
      );
    const byId = Object.fromEntries(json.results.map((r: { rule_id: string }) => [r.rule_id, r]));
    expect(byId.email_format).toMatchObject({
      failed_rows: 1,
      sample_values: ["bad-email"],
      status: "failed",
    });
    expect(byId.amount_range).toMatchObject({ failed_rows: 2, sample_values: [-5, 5000] });
    expect(byId["column:amount:type"]).toMatchObject({ failed_rows: 0, sample_values: [], status: "passed" });
    expect(json.table).toBe("main.orders");
    expect(json.source).toBe("dirty.db");
  });

  it("prints one line per failed rule and a summary in text, exit 0 on clean data", () => {
    const dirty = covenant("validate", "--contract", "orders.yaml", "--source", "dirty.db");
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toContain("FAIL  email_format  1 row(s)  1 row(s) have a email value not matching");
    expect(dirty.stdout).toContain('samples: "bad-email"');
    expect(dirty.stdout).toMatch(/failed: main\.orders \(dirty\.db\): 12 row\(s\) evaluated/);

    const clean = covenant("validate", "--contract", "orders.yaml", "--source", "clean.db");
    expect(clean.stderr).toBe("");
    expect(clean.code).toBe(0);
    expect(clean.stdout).not.toContain("FAIL");
    expect(clean.stdout).toMatch(/^passed: main\.orders \(clean\.db\): 3 row\(s\) evaluated/m);
  });

  it("validates a PostgreSQL table and never prints the URL's password", () => {
    const { code, stdout, stderr } = covenant(
      "validate",
      "--contract",
      "orders.yaml",
      "--source",
      pgDb.urlWithPassword("s3cretPW"),
      "--format",
      "json",
    );
    expect(code).toBe(1);
    expect(stdout + stderr).not.toContain("s3cretPW");
    const json = JSON.parse(stdout);
    expect(json.table).toBe("public.orders");
    expect(json.source).toContain(":***@");
    expect(json.results.find((r: { rule_id: string }) => r.rule_id === "email_format").status).toBe("failed");

    const refused = covenant(
      "validate",
      "--contract",
      "orders.yaml",
      "--source",
      "postgresql://postgres:s3cretPW@127.0.0.1:1/postgres",
    );
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).not.toContain("s3cretPW");
    expect(refused.stderr).toContain(
      "cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/postgres",
    );
  });

  it.each([
    [
      "a contract that does not parse, at file:line:col",
      ["--contract", "broken.yaml", "--source", "dirty.db"],
      /broken\.yaml:2:10 .*semantic version/,
    ],
    [
      "an unknown table",
      ["--contract", "orders.yaml", "--source", "dirty.db", "--table", "customers"],
      /table customers is not in dirty\.db|customers is not in .*main\.orders/,
    ],
    [
      "a refused rule",
      ["--contract", "refused.yaml", "--source", "dirty.db"],
      /refused\.yaml:14:61 quality\[2\]\.pattern.*backreference/s,
    ],
    [
      "a missing source file",
      ["--contract", "orders.yaml", "--source", "nope.db"],
      /nope\.db does not exist/,
    ],
    [
      "a rule whose cost has no bound (a cross join of the table with itself)",
      ["--contract", "heavy.yaml", "--source", "dirty.db", "--timeout-ms", "1500"],
      /heavy\.yaml.*several tables in one FROM/s,
    ],
    ["--source without --contract", ["--source", "dirty.db"], /--source needs --contract/],
    [
      "a bad --sample-limit",
      ["--contract", "orders.yaml", "--source", "dirty.db", "--sample-limit", "ten"],
      /--sample-limit must be a positive whole number/,
    ],
  ])("exits 2 on %s", (_, args, message) => {
    const { code, stdout, stderr } = covenant("validate", ...args);
    expect(code).toBe(2);
    expect(stdout + stderr).toMatch(message);
  });

  it("still validates contract files given as arguments", () => {
    expect(covenant("validate", "orders.yaml").code).toBe(0);
    const broken = covenant("validate", "broken.yaml");
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/^broken\.yaml:2:10 /);
  });
});
