// Every CLI command with `--format json` answers in snake_case, like the API (docs/api.md). Each
// such command runs for real (the bin, a real git repository, a real SQLite file) and its JSON is
// walked key by key. A command that gains `--format json` without a case here fails the test.
import { cpSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Option } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../src/cli/program.ts";
import { runCovenant } from "./helpers/covenant-bin.ts";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { type Exempt, nonSnakeKeys } from "./helpers/json-naming.ts";
import { DIRTY_ROWS, VALIDATION_CONTRACT, writeSqlite } from "./helpers/validation-data.ts";

const CONTRACT = `name: orders
version: 1.0.0
status: active
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: customerEmail, type: string, required: false }
    - { name: status, type: string, required: true, accepted_values: [new, paid] }
`;
const CREATE =
  'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  "customerEmail" varchar(255),\n  status text NOT NULL\n);\n';
const BREAK =
  'ALTER TABLE orders DROP COLUMN "customerEmail";\nALTER TABLE orders ALTER COLUMN status TYPE integer USING 0;\nALTER TABLE orders ADD COLUMN "createdAt" timestamptz;\n';

/**
 * Keys below these are the user's data, not Covenant's names: the values a rule found in the data
 * (a JSON value keeps its own keys). Column, dataset and contract names are values, never keys.
 */
const USER_DATA: Exempt = (path) => /\.sample_values\[\d+\]$/.test(path);

let repo: GitRepo;
/** examples/shop as a repository: migrations, dbt models and an exposure, for lineage. */
let shop: GitRepo;

const covenant = (args: string[], cwd = repo.dir) => runCovenant(args, { cwd });

beforeAll(() => {
  repo = createGitRepo("covenant-json-naming-");
  repo.commit(
    { "db/migrations/0001_create_orders.up.sql": CREATE, "contracts/orders.yaml": CONTRACT },
    "base",
  );
  repo.git("switch", "-q", "-c", "change");
  repo.commit({ "db/migrations/0002_break.up.sql": BREAK }, "break orders");
  writeSqlite(join(repo.dir, "dirty.db"), DIRTY_ROWS);
  writeFileSync(join(repo.dir, "validation.yaml"), VALIDATION_CONTRACT);
  shop = createGitRepo("covenant-json-naming-shop-");
  cpSync(resolve(import.meta.dirname, "../examples/shop"), shop.dir, { recursive: true });
  shop.commit({}, "shop");
});

afterAll(() => {
  repo?.remove();
  shop?.remove();
});

const outputs = new Map<string, string>();

/** Each command with `--format json`, run for real: the argument lists and what must be in the answer. */
type Case = { args: string[]; inShop?: boolean; expect: (json: Record<string, unknown>) => void };
const CASES: Record<string, Case[]> = {
  check: [
    {
      args: ["check", "--base", "main", "--head", "change"],
      expect: (json) => {
        expect(json.conclusion).toBe("failure");
        expect((json.violations as unknown[]).length).toBeGreaterThan(1);
        expect((json.changes as unknown[]).length).toBeGreaterThan(1);
      },
    },
    {
      // An error is JSON too, in the same shape.
      args: ["check", "--base", "no-such-ref", "--head", "change"],
      expect: (json) => {
        expect(json.conclusion).toBe("error");
        expect(json.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      },
    },
  ],
  schema: [
    {
      args: ["schema", "--dialect", "postgres", "db/migrations"],
      expect: (json) => {
        expect(json.datasets).toEqual([
          expect.objectContaining({ name: "public.orders", primary_key: ["id"] }),
        ]);
      },
    },
  ],
  impact: [
    {
      args: ["impact", "public.customers.email"],
      inShop: true,
      expect: (json) => {
        expect(json).toMatchObject({ dataset: "public.customers", column: "email" });
        expect((json.downstream as unknown[]).length).toBeGreaterThan(0);
      },
    },
  ],
  validate: [
    {
      args: ["validate", "--contract", "validation.yaml", "--source", "dirty.db"],
      expect: (json) => {
        expect(json).toMatchObject({ passed: false, rows_evaluated: expect.any(Number) });
        const results = json.results as Array<{
          rule_id: string;
          sample_values: unknown[];
          observed?: object;
        }>;
        expect(results.some((r) => r.sample_values.length > 0)).toBe(true);
        // SLA results carry what was measured, under Covenant's own names.
        expect(results.some((r) => r.observed !== undefined)).toBe(true);
      },
    },
  ],
};

describe("CLI --format json (real process)", { timeout: 180_000 }, () => {
  it("has a case for every command that offers --format json", () => {
    const program = buildProgram({
      stdout: () => {},
      stderr: () => {},
      env: {},
      cwd: process.cwd(),
      isTTY: false,
    });
    const withJson = program.commands
      .filter((command) =>
        command.options.some(
          (option: Option) => option.long === "--format" && (option.argChoices ?? []).includes("json"),
        ),
      )
      .map((command) => command.name())
      .sort();
    expect(withJson.length).toBeGreaterThan(0);
    expect(withJson).toEqual(Object.keys(CASES).sort());
  });

  for (const [command, cases] of Object.entries(CASES)) {
    it.each(cases.map((c) => [c.args.join(" "), c] as const))(`${command}: %s`, (_, c) => {
      const { stdout, stderr } = covenant([...c.args, "--format", "json"], c.inShop ? shop.dir : repo.dir);
      outputs.set(c.args.join(" "), stdout);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(stdout);
      } catch {
        throw new Error(`not JSON:\n${stdout}\n${stderr}`);
      }
      c.expect(json);
      expect(nonSnakeKeys(json, USER_DATA)).toEqual([]);
    });
  }

  it("exempts user data only: a camelCase column stays a value, and data samples keep their keys", () => {
    expect(outputs.get("check --base main --head change")).toContain('"customerEmail"');
    expect(nonSnakeKeys({ results: [{ sample_values: [{ someKey: 1 }] }] }, USER_DATA)).toEqual([]);
    expect(nonSnakeKeys({ results: [{ sampleValues: [] }] }, USER_DATA)).toEqual([
      "$.results[0].sampleValues",
    ]);
  });
});
