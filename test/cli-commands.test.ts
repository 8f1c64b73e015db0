import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.ts";

let dir: string;

const write = (files: Record<string, string>) => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
};

const cli = (...args: string[]) => runCli({}, args, { cwd: dir });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "covenant-cli-"));
  write({
    "db/migrations/0001_init.sql":
      "CREATE TABLE orders (\n  id integer PRIMARY KEY,\n  email varchar(100),\n  status text NOT NULL DEFAULT 'new'\n);\n",
    "db/migrations/0002_rename.sql": "ALTER TABLE orders RENAME COLUMN email TO customer_email;\n",
    "mysql/001.sql": "CREATE TABLE t (id int NOT NULL, name varchar(10));\n",
    "analytics/dbt_project.yml": 'name: analytics\nversion: "1.0.0"\nmodel-paths: ["models"]\n',
    "analytics/models/customers.sql": "select 1 as id, 'a' as customer_name\n",
    "contracts/ok.yaml":
      'name: orders\nversion: 1.0.0\nowner: "@acme/data"\ndataset: { name: orders }\nschema:\n  columns:\n    - { name: id, type: integer, required: true }\n',
    "contracts/bad.yaml": 'name: orders\nversion: 1.0.0\nowner: "@acme/data"\nenforcement: LOUD\n',
    "sample.json": '[{"id": 1, "email": "a@b.c", "paid": true}, {"id": 2, "paid": false}]',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("covenant schema / infer / validate", { timeout: 30_000 }, () => {
  it("schema replays a migration directory", async () => {
    const { code, stdout } = await cli("schema", "db/migrations");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.datasets).toEqual([
      {
        name: "public.orders",
        kind: "table",
        columns: [
          { name: "id", type: "integer", family: "integer", nullable: false, default: null },
          { name: "customer_email", type: "varchar(100)", family: "string", nullable: true, default: null },
          { name: "status", type: "text", family: "string", nullable: false, default: "'new'" },
        ],
        primary_key: ["id"],
      },
    ]);
    expect(json.findings).toEqual([]);
  });

  it("schema replays files in a given dialect", async () => {
    const { stdout } = await cli("schema", "--dialect", "mysql", "mysql/001.sql", "--format", "text");
    expect(stdout).toContain("table t");
    expect(stdout).toContain("  id integer NOT NULL");
  });

  it("schema reads a dbt project in a folder (its reader loads only then)", async () => {
    const { code, stdout } = await cli("schema", "analytics", "--format", "text");
    expect(code).toBe(0);
    expect(stdout).toBe("dbt_model customers\n  id unknown\n  customer_name unknown\n");
  });

  it("infer prints a draft contract that validates", async () => {
    const { stdout } = await cli("infer", "--dataset", "orders", "--owner", "@acme/data", "db/migrations");
    expect(stdout).toContain("name: orders");
    expect(stdout).toContain("status: draft");
    expect(stdout).toContain("primary_key: [ id ]");
    write({ "inferred.yaml": stdout });
    expect((await cli("validate", "inferred.yaml")).code).toBe(0);
  });

  it("infer from a sample JSON payload", async () => {
    const { stdout } = await cli("infer", "--dataset", "payments", "--from-json", "sample.json");
    expect(stdout).toMatch(/- name: id\n\s+type: integer\n\s+required: true/);
    expect(stdout).toMatch(/- name: email\n\s+type: string\n\s+required: false/);
    expect(stdout).toMatch(/- name: paid\n\s+type: boolean\n\s+required: true/);
  });

  it("validate reports file:line:col and exits 2", async () => {
    const ok = await cli("validate", "contracts/ok.yaml");
    expect(ok).toMatchObject({ code: 0, stdout: "contracts/ok.yaml: ok (orders 1.0.0, covenant)\n" });
    const bad = await cli("validate", "contracts/ok.yaml", "contracts/bad.yaml");
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^contracts\/bad\.yaml:4:14 enforcement must be one of/m);
  });
});
