// `covenant validate --source`, run as a process, keeps every promise of the contract on every
// kind of source: the primary key (whole and unique, composite too); a sql rule reading a column
// the data lacks is not evaluated, naming it, while the other rules run; a type is judged the same
// way by the schema results and the type rule, and by every source; a failed schema result is
// never called a warning.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestPgDatabase } from "./helpers/pg-database.ts";
import { createPromisePgDatabase, PROMISE_CONTRACTS, writePromiseFiles } from "./helpers/promise-data.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

let dir: string;
let pgDb: TestPgDatabase;

const covenant = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, cwd: dir });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

type Result = { rule_id: string; status: string; failed_rows: number; sample_values: unknown[] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-cli-promises-"));
  for (const [name, text] of Object.entries(PROMISE_CONTRACTS))
    writeFileSync(join(dir, `${name}.yaml`), text);
  await writePromiseFiles(dir);
  pgDb = await createPromisePgDatabase("covenant_cli_promises");
});

afterAll(async () => {
  await pgDb?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SOURCES = [
  ["SQLite", () => "lines.db"],
  ["CSV", () => "lines.csv"],
  ["JSON lines", () => "lines.jsonl"],
  ["Parquet", () => "lines.parquet"],
  ["PostgreSQL", () => pgDb.url],
] as const;

describe("covenant validate --source: the primary key (real CLI process)", { timeout: 120_000 }, () => {
  it.each(SOURCES)("fails repeated and missing composite keys in %s, exit 1", (_, source) => {
    const { code, stdout, stderr } = covenant(
      "validate",
      "--contract",
      "lines.yaml",
      "--source",
      source(),
      "--format",
      "json",
    );
    expect({ code, stderr }).toEqual({ code: 1, stderr: "" });
    const results: Result[] = JSON.parse(stdout).results;
    const byId = Object.fromEntries(results.map((r) => [r.rule_id, r]));
    expect(byId["primary_key:unique"]).toMatchObject({
      status: "failed",
      failed_rows: 3,
      sample_values: [
        { order_id: 1, line: 2 },
        { order_id: 2, line: 1 },
      ],
    });
    expect(byId["primary_key:not_null"]).toMatchObject({ status: "failed", failed_rows: 1 });
  });

  it("says so in text, with the repeated keys, and annotates the contract's primary_key line", () => {
    const text = covenant("validate", "--contract", "order-key.yaml", "--source", "lines.csv");
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      "FAIL  primary_key:unique  4 row(s)  4 row(s) repeat the primary key (order_id) of another row  samples: 1, 2",
    );
    expect(text.stdout).toContain(
      "FAIL  primary_key:not_null  1 row(s)  1 row(s) have no primary key (order_id)",
    );

    const github = covenant(
      "validate",
      "--contract",
      "order-key.yaml",
      "--source",
      "lines.db",
      "--format",
      "github",
    );
    expect(github.code).toBe(1);
    // Line 7 of the contract is `primary_key: [order_id]`.
    expect(github.stdout).toMatch(/^::error file=order-key\.yaml,line=7[^\n]*primary_key:unique failed/m);
  });
});

describe("covenant validate --source: sql rules on columns the data lacks (real CLI process)", {
  timeout: 120_000,
}, () => {
  it.each([SOURCES[0], SOURCES[1], SOURCES[4]])(
    "reports them not evaluated in %s and still runs the other rules, exit 1 for the rule that fails",
    (_, source) => {
      const json = covenant(
        "validate",
        "--contract",
        "ghosts.yaml",
        "--source",
        source(),
        "--format",
        "json",
      );
      expect(json.code, json.stderr).toBe(1);
      expect(json.stdout + json.stderr).not.toMatch(/Binder Error|no such column|does not exist/);
      const byId = Object.fromEntries(
        (JSON.parse(json.stdout).results as Result[]).map((r) => [r.rule_id, r]),
      );
      expect(byId.ghost_expression).toMatchObject({
        status: "not_evaluated",
        reason: expect.stringContaining("reads column discount, which"),
      });
      expect(byId.ghost_query).toMatchObject({
        status: "not_evaluated",
        reason: expect.stringContaining("reads column discount, which"),
      });
      expect(byId.early_lines).toMatchObject({ status: "failed", failed_rows: 1 });
      expect(byId["primary_key:unique"]).toMatchObject({ status: "passed" });
    },
  );

  it("says so in text", () => {
    const text = covenant("validate", "--contract", "ghosts.yaml", "--source", "lines.csv");
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /^SKIP {2}ghost_expression {2}the rule reads column discount, which lines does not have; the contract does not declare discount either/m,
    );
    expect(text.stdout).toMatch(/^FAIL {2}early_lines {2}1 row\(s\)/m);
    expect(text.stdout).toContain("2 not evaluated");
  });
});

describe("covenant validate --source: types judged alike everywhere (real CLI process)", {
  timeout: 120_000,
}, () => {
  const verdict = (source: string, ...extra: string[]) => {
    const run = covenant(
      "validate",
      "--contract",
      "prices.yaml",
      "--source",
      source,
      "--format",
      "json",
      ...extra,
    );
    const json = JSON.parse(run.stdout);
    return {
      code: run.code,
      failed: (json.results as Result[]).filter((r) => r.status === "failed").map((r) => r.rule_id),
      samples:
        (json.results as Result[]).find((r) => r.rule_id === "column:currency:type")?.sample_values ?? [],
    };
  };

  it.each(["prices.db", "prices.csv", "prices.jsonl", "prices.parquet"])(
    "passes char(3) values kept in %s, whose storage does not enforce the length",
    (source) => {
      expect(verdict(source)).toEqual({ code: 0, failed: [], samples: [] });
    },
  );

  it("passes a PostgreSQL char(3) column, and fails a text one as a schema mismatch", () => {
    expect(verdict(pgDb.url)).toEqual({ code: 0, failed: [], samples: [] });
    expect(verdict(pgDb.url, "--table", "public.prices_text")).toMatchObject({
      code: 1,
      failed: ["schema:contract-type-mismatch:currency"],
    });
  });

  it.each(["long-prices.db", "long-prices.csv", "long-prices.jsonl", "long-prices.parquet"])(
    "fails a value longer than char(3) in %s with the type rule, the same everywhere",
    (source) => {
      expect(verdict(source)).toEqual({ code: 1, failed: ["column:currency:type"], samples: ["EURO"] });
    },
  );

  it("calls a failed schema result breaking, never a warning, in every format", () => {
    const missingTax = (...format: string[]) =>
      covenant("validate", "--contract", "prices-tax.yaml", "--source", "prices.db", ...format);
    const text = missingTax();
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}schema:contract-column-missing:tax/m);
    expect(text.stdout).toContain("schema breaking (score 20)");
    expect(text.stdout + text.stderr).not.toMatch(/warning/i);
    const json = missingTax("--format", "json");
    expect(JSON.parse(json.stdout).schema).toMatchObject({ status: "breaking", score: 20 });
    const sarif = missingTax("--format", "sarif");
    // Only a rule that could not be evaluated (SQLite's type rule on the missing column) is a warning.
    const levels = JSON.parse(sarif.stdout).runs[0].results.map(
      (r: { level: string; message: { text: string } }) => [
        r.level,
        r.message.text.includes("was not evaluated"),
      ],
    );
    expect(levels).toEqual([
      ["error", false],
      ["warning", true],
    ]);
    const github = missingTax("--format", "github");
    expect(github.stdout).toMatch(/^::error file=prices-tax\.yaml,line=\d+/m);
    expect(github.stdout).not.toMatch(/^::warning[^\n]*failed/m);
  });
});
