// `covenant validate` through the real CLI: every contract problem in one round with file:line,
// and --format json | sarif | github for contract files and for data checks alike.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

// Line numbers matter: the tests below name them.
const BROKEN = `name: orders
version: 1.0.0
owner: "@acme/data"
enforcement: BLOKC
dataset: { type: table, name: orders }
schema:
  primary_key: [order_id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: id, type: bigint }
quality:
  - { id: r1, type: not_null, column: ghost }
  - { id: r1, type: unique, column: id }
sla:
  freshness: { column: updated_at, max_lag_minutes: 60 }
`;

const GOOD = `name: orders
version: 1.0.0
owner: "@acme/data"
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: status, type: string, accepted_values: [new, paid] }
quality:
  - { id: positive_id, type: range, column: id, min: 1 }
`;

let dir: string;
const covenant = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "covenant-cli-formats-"));
  writeFileSync(join(dir, "broken.yaml"), BROKEN);
  writeFileSync(join(dir, "good.yaml"), GOOD);
  const db = new Database(join(dir, "shop.db"));
  db.exec("CREATE TABLE orders (id INTEGER, status TEXT)");
  db.exec("INSERT INTO orders VALUES (1, 'new'), (-2, 'lost'), (3, 'paid')");
  db.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("covenant validate FILES", { timeout: 120_000 }, () => {
  it("reports every cross-field problem in the first run, each at file:line:column", () => {
    const { code, stdout } = covenant("validate", "broken.yaml");
    expect(code).toBe(2);
    const lines = stdout.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^broken\.yaml:4:14 enforcement must be one of/),
      expect.stringMatching(/^broken\.yaml:7:17 schema\.primary_key\[0\] names "order_id"/),
      expect.stringMatching(/^broken\.yaml:10:\d+ schema\.columns\[1\]\.name duplicates column "id"/),
      expect.stringMatching(/^broken\.yaml:12:\d+ quality\[0\]\.column names "ghost"/),
      expect.stringMatching(/^broken\.yaml:13:\d+ quality\[1\]\.id duplicates quality rule id "r1"/),
      expect.stringMatching(/^broken\.yaml:15:\d+ sla\.freshness\.column names "updated_at"/),
    ]);
  });

  it("honours --format json, with snake_case fields and the same problems", () => {
    const { code, stdout } = covenant("validate", "--format", "json", "good.yaml", "broken.yaml");
    expect(code).toBe(2);
    const body = JSON.parse(stdout);
    expect(body.valid).toBe(false);
    expect(body.files[0]).toEqual({
      file: "good.yaml",
      valid: true,
      contract: { name: "orders", version: "1.0.0", format: "covenant" },
      problems: [],
    });
    expect(body.files[1].problems).toHaveLength(6);
    expect(body.files[1].problems[1]).toMatchObject({
      rule: "contract-invalid",
      file: "broken.yaml",
      line: 7,
      column: 17,
    });
    const ok = covenant("validate", "--format", "json", "good.yaml");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).valid).toBe(true);
  });

  it("writes SARIF and GitHub annotations for contract errors", () => {
    const sarif = covenant("validate", "--format", "sarif", "broken.yaml");
    expect(sarif.code).toBe(2);
    const log = JSON.parse(sarif.stdout);
    expect(log.version).toBe("2.1.0");
    const results = log.runs[0].results;
    expect(results).toHaveLength(6);
    expect(results[0]).toMatchObject({
      ruleId: "contract-invalid",
      level: "error",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "broken.yaml" },
            region: { startLine: 4, startColumn: 14 },
          },
        },
      ],
    });
    const github = covenant("validate", "--format", "github", "broken.yaml");
    expect(github.code).toBe(2);
    const annotations = github.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(annotations).toHaveLength(6);
    expect(annotations[1]).toMatch(
      /^::error file=broken\.yaml,line=7,col=17,title=contract-invalid::schema\.primary_key\[0\] names "order_id"/,
    );
  });
});

describe("covenant validate --source with --format sarif | github", { timeout: 120_000 }, () => {
  it("annotates the contract line of each failing promise", () => {
    const github = covenant(
      "validate",
      "--contract",
      "good.yaml",
      "--source",
      "shop.db",
      "--format",
      "github",
    );
    expect(github.code).toBe(1);
    const annotations = github.stdout.split("\n").filter((l) => l.startsWith("::error"));
    // status accepted values: its column's line (8); the range rule: its own line (10).
    expect(annotations).toContainEqual(
      expect.stringMatching(
        /^::error file=good\.yaml,line=8,title=column%3Astatus%3Aaccepted_values::.*"lost"/,
      ),
    );
    expect(annotations).toContainEqual(
      expect.stringMatching(/^::error file=good\.yaml,line=10,title=positive_id::.*1 row\(s\).*-2/),
    );
    const sarif = covenant("validate", "--contract", "good.yaml", "--source", "shop.db", "--format", "sarif");
    expect(sarif.code).toBe(1);
    const results = JSON.parse(sarif.stdout).runs[0].results;
    expect(results.map((r: { ruleId: string }) => r.ruleId)).toEqual(
      expect.arrayContaining(["positive_id", "column:status:accepted_values"]),
    );
  });

  it("reports an invalid contract in the format asked for", () => {
    const r = covenant("validate", "--contract", "broken.yaml", "--source", "shop.db", "--format", "json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).files[0].problems).toHaveLength(6);
  });
});
