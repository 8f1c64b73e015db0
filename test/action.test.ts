// The GitHub Action as a runner runs it (see helpers/action-runner.ts): a real pull_request event,
// a depth-1 checkout of the PR's merge commit, the runner's summary and output files.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runActionOnPullRequest } from "./helpers/action-runner.ts";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";

const COLUMNS = Array.from({ length: 12 }, (_, i) => `c${i + 1}`);

const CONTRACT = `name: wide
version: 1.0.0
owner: "@acme/data"
enforcement: BLOCK
dataset: { type: table, name: public.wide }
schema:
  columns:
    - { name: id, type: bigint, required: true }
${COLUMNS.map((c) => `    - { name: ${c}, type: integer }`).join("\n")}
`;

describe("the GitHub Action on a pull request", () => {
  let origin: GitRepo;

  beforeAll(() => {
    origin = createGitRepo("covenant-action-origin-");
    origin.commit(
      {
        "contracts/wide.yaml": CONTRACT,
        "migrations/0001_wide.sql": `CREATE TABLE wide (\n  id bigint PRIMARY KEY,\n${COLUMNS.map((c) => `  ${c} integer`).join(",\n")}\n);\n`,
      },
      "wide table",
    );
    origin.git("checkout", "-q", "-b", "drop-one");
    origin.commit({ "migrations/0002_drop_c1.sql": "ALTER TABLE wide DROP COLUMN c1;\n" }, "drop c1");
    origin.git("checkout", "-q", "main");
    origin.git("checkout", "-q", "-b", "drop-all");
    origin.commit(
      { "migrations/0002_drop_all.sql": COLUMNS.map((c) => `ALTER TABLE wide DROP COLUMN ${c};`).join("\n") },
      "drop all",
    );
    // The base moves on after the branches left it: only the PR's own change may be judged.
    origin.git("checkout", "-q", "main");
    origin.commit({ "README.md": "# shop\n" }, "readme");
  });

  afterAll(() => origin?.remove());

  it("fetches what a depth-1 checkout lacks, annotates, summarizes, sets outputs and fails on a blocking violation", () => {
    const run = runActionOnPullRequest({ origin: origin.dir, headRef: "drop-one" });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/fetching the base|deepening/);
    expect(run.stdout).toMatch(
      /^::error file=migrations\/0002_drop_c1\.sql,line=1,title=column-removed \(wide%2C BLOCK\)::.*c1/m,
    );
    expect(run.stdout).toMatch(/covenant: failing this step \(fail-on: error; conclusion failure\)/);
    // The summary is the App's check-run output: title, score line and table.
    expect(run.summary).toMatch(/^## Covenant: Contract violations block this change: 1 violation/m);
    expect(run.summary).toMatch(/\*\*failure\*\* · score \d+\/100/);
    expect(run.summary).toMatch(/\| ❌ \| `column-removed` \| `migrations\/0002_drop_c1\.sql:1` \|/);
    expect(run.outputs).toMatchObject({ conclusion: "failure", violations: "1", errors: "1", warnings: "0" });
    expect(Number(run.outputs.score)).toBeGreaterThan(0);
    const sarif = JSON.parse(run.sarif ?? "{}") as {
      version: string;
      runs: Array<{ results: Array<{ ruleId: string }> }>;
    };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]?.results.map((r) => r.ruleId)).toEqual(["column-removed"]);
  });

  it("fail-on never reports the same verdict and passes the step", () => {
    const run = runActionOnPullRequest({
      origin: origin.dir,
      headRef: "drop-one",
      inputs: { "fail-on": "never" },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.conclusion).toBe("failure");
    expect(run.stdout).toMatch(/^::error file=migrations\/0002_drop_c1\.sql/m);
  });

  it("keeps to GitHub's 10 error annotations per step and lists the rest in the summary", () => {
    const run = runActionOnPullRequest({
      origin: origin.dir,
      headRef: "drop-all",
      inputs: { format: "json" },
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.match(/^::error /gm)).toHaveLength(10);
    expect(run.stdout).toMatch(/2 more annotations are in the job summary/);
    expect(run.outputs).toMatchObject({ violations: "12", errors: "12" });
    expect(run.summary).toMatch(/2 more are not annotated on the diff/);
    for (const c of COLUMNS) expect(run.summary).toContain(`${c}`);
    // format: json prints the documented JSON in the log too.
    const json = run.stdout.slice(run.stdout.indexOf("{\n"), run.stdout.lastIndexOf("}") + 1);
    expect((JSON.parse(json) as { violations: unknown[] }).violations).toHaveLength(12);
  });

  it("refuses a bad input with an error annotation that says what to use (exit 2)", () => {
    const run = runActionOnPullRequest({
      origin: origin.dir,
      headRef: "drop-one",
      inputs: { "fail-on": "sometimes" },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^::error title=Covenant could not judge this change::input fail-on is "sometimes": use one of error, warning, never/m,
    );
    expect(run.outputs.conclusion).toBe("error");
  });
});
