import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCovenant } from "./helpers/covenant-bin.ts";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { ordersContract } from "./helpers/orders-contract.ts";

const CONTRACT = ordersContract();

let repository: GitRepo;
let repo: string;

const covenant = (...args: string[]) => runCovenant(args);
/** `covenant check` of `head` against the base commit. */
const check = (head: string, ...more: string[]) =>
  covenant("check", "--repo", repo, "--base", base, "--head", head, ...more);

let base: string;
let breaking: string;
let harmless: string;

beforeAll(() => {
  repository = createGitRepo("covenant-check-");
  repo = repository.dir;
  const { git, commit } = repository;
  base = commit(
    {
      "db/migrations/0001_create_orders.sql":
        "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email varchar(255),\n  status text NOT NULL\n);\n",
      "contracts/orders.yaml": CONTRACT,
    },
    "base",
  );
  breaking = commit(
    { "db/migrations/0002_drop_email.sql": "-- no longer needed\nALTER TABLE orders DROP COLUMN email;\n" },
    "drop email",
  );
  git("checkout", "-q", base);
  harmless = commit(
    { "db/migrations/0002_add_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n" },
    "add note",
  );
});

afterAll(() => repository.remove());

describe("covenant check (real git repository, real CLI)", { timeout: 60_000 }, () => {
  it("fails with exit 1 on a dropped contracted column, at file:line", () => {
    const { code, stdout } = check(breaking);
    expect(code).toBe(1);
    expect(stdout).toContain("column-removed");
    expect(stdout).toContain("db/migrations/0002_drop_email.sql:2");
    expect(stdout).toContain("public.orders.email");
  });

  it("prints the documented JSON shape", () => {
    const { code, stdout } = check(breaking, "--format", "json");
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(Object.keys(json).sort()).toEqual([
      "changes",
      "conclusion",
      "findings",
      "score",
      "status",
      "violations",
    ]);
    expect(json.conclusion).toBe("failure");
    expect(json.violations).toHaveLength(1);
    expect(json.violations[0]).toMatchObject({
      rule: "column-removed",
      severity: "error",
      contract: "orders",
      enforcement: "BLOCK",
      dataset: "public.orders",
      column: "email",
      file: "db/migrations/0002_drop_email.sql",
      line: 2,
      actual: "dropped",
    });
    expect(json.violations[0].id).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof json.violations[0].message).toBe("string");
    expect(typeof json.violations[0].expected).toBe("string");
    expect(json.changes).toEqual([
      {
        kind: "column-removed",
        dataset: "public.orders",
        column: "email",
        file: "db/migrations/0002_drop_email.sql",
        line: 2,
        before: "varchar(255)",
      },
    ]);
    expect(json.findings).toEqual([]);
    expect(json.score).toBeGreaterThan(0);
  });

  it("passes with exit 0 when nothing breaks", () => {
    const { code, stdout } = check(harmless, "--format", "json");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.conclusion).toBe("success");
    expect(json.violations).toEqual([]);
    expect(json.changes.map((c: { kind: string; column: string }) => [c.kind, c.column])).toEqual([
      ["column-added", "note"],
    ]);
  });

  it("exits 2 with a clear message on an unknown revision", () => {
    const { code, stderr } = covenant(
      "check",
      "--repo",
      repo,
      "--base",
      "no-such-branch",
      "--head",
      breaking,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('unknown revision "no-such-branch"');
  });

  it("exits 2 outside a git repository", () => {
    const { code, stderr } = covenant("check", "--repo", tmpdir(), "--base", "a", "--head", "b");
    expect(code).toBe(2);
    expect(stderr).toMatch(/not a git repository|unknown revision/);
  });

  it("emits valid-looking SARIF 2.1.0", () => {
    const { code, stdout } = check(breaking, "--format", "sarif");
    expect(code).toBe(1);
    const sarif = JSON.parse(stdout);
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe("covenant");
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toContain("column-removed");
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({
      ruleId: "column-removed",
      level: "error",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "db/migrations/0002_drop_email.sql" },
            region: { startLine: 2 },
          },
        },
      ],
    });
  });

  it("emits GitHub workflow commands", () => {
    const { stdout } = check(breaking, "--format", "github");
    expect(stdout).toMatch(
      /^::error file=db\/migrations\/0002_drop_email\.sql,line=2,title=column-removed \(orders%2C BLOCK\)::/m,
    );
  });
});
