// `covenant check --format gitlab`: a GitLab Code Quality report (what `artifacts: reports:
// codequality` collects) from the real CLI on a real git repository, checked against the report's
// schema, with fingerprints that survive unrelated edits (GitLab diffs the base's and the MR's).
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { readDirectoryFiles } from "./helpers/github-repo-fixture.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const SHOP = join(import.meta.dirname, "../examples/shop");

// GitLab's documented Code Quality fields (a subset of the CodeClimate spec), all required.
const CODE_QUALITY_SCHEMA = {
  type: "array",
  items: {
    type: "object",
    required: ["description", "check_name", "fingerprint", "severity", "location"],
    properties: {
      description: { type: "string", minLength: 1 },
      check_name: { type: "string", minLength: 1 },
      fingerprint: { type: "string", pattern: "^[0-9a-f]{64}$" },
      severity: { enum: ["info", "minor", "major", "critical", "blocker"] },
      location: {
        type: "object",
        required: ["path", "lines"],
        properties: {
          path: { type: "string", pattern: "^[^/]" },
          lines: {
            type: "object",
            required: ["begin"],
            properties: { begin: { type: "integer", minimum: 1 } },
          },
        },
      },
    },
  },
};
const validate = new Ajv({ allErrors: true }).compile(CODE_QUALITY_SCHEMA);

type Issue = {
  check_name: string;
  fingerprint: string;
  severity: string;
  location: { path: string; lines: { begin: number } };
};

const gitlab = (repo: GitRepo, head: string) => {
  const result = spawnSync(
    process.execPath,
    [BIN, "check", "--base", "main", "--head", head, "--format", "gitlab"],
    {
      cwd: repo.dir,
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  const report = JSON.parse(result.stdout) as Issue[];
  expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  return { code: result.status, report, stderr: result.stderr };
};

describe("covenant check --format gitlab", () => {
  let repo: GitRepo;

  beforeAll(() => {
    repo = createGitRepo("covenant-gitlab-");
    repo.commit(readDirectoryFiles(SHOP), "shop");
    repo.git("switch", "-q", "-c", "drop-currency");
    repo.commit(
      {
        "db/migrations/0006_drop_currency.up.sql":
          "ALTER TABLE orders DROP COLUMN currency;\nALTER TABLE customers ALTER COLUMN full_name SET NOT NULL;\n",
      },
      "drop currency",
    );
    repo.git("branch", "first-push");
    // A second push moves the statements down: the same issues at new lines.
    repo.commit(
      {
        "db/migrations/0006_drop_currency.up.sql":
          "-- currency moves to the payments service\n\nALTER TABLE orders DROP COLUMN currency;\nALTER TABLE customers ALTER COLUMN full_name SET NOT NULL;\n",
      },
      "explain",
    );
    repo.git("branch", "second-push");
    // A third puts currency back: only the full_name issue is left.
    repo.commit(
      {
        "db/migrations/0006_drop_currency.up.sql":
          "ALTER TABLE customers ALTER COLUMN full_name SET NOT NULL;\n",
      },
      "keep currency",
    );
  });

  afterAll(() => repo?.remove());

  it("reports every violation and finding at file:line, a blocking one as blocker, and exits as check does", () => {
    const { code, report, stderr } = gitlab(repo, "first-push");
    expect(code, stderr).toBe(1);
    expect(report).toContainEqual(
      expect.objectContaining({
        check_name: "column-removed",
        severity: "blocker",
        location: { path: "db/migrations/0006_drop_currency.up.sql", lines: { begin: 1 } },
      }),
    );
    // The same verdict as --format json: one issue per open violation and finding.
    const json = spawnSync(
      process.execPath,
      [BIN, "check", "--base", "main", "--head", "first-push", "--format", "json"],
      { cwd: repo.dir, encoding: "utf8", timeout: 120_000 },
    );
    const verdict = JSON.parse(json.stdout) as {
      violations: Array<{ rule: string; file: string; line: number; waived?: unknown }>;
      findings: Array<{ rule: string; file: string; line: number }>;
    };
    const where = (items: Array<{ rule: string; file: string; line: number }>) =>
      items.map((i) => `${i.rule} ${i.file}:${i.line}`).sort();
    expect(
      where(report.map((i) => ({ rule: i.check_name, file: i.location.path, line: i.location.lines.begin }))),
    ).toEqual(where([...verdict.violations.filter((v) => !v.waived), ...verdict.findings]));
    // An error on the NOTIFY contract does not fail the check: critical, not blocker.
    expect(report).toContainEqual(
      expect.objectContaining({ check_name: "column-became-required", severity: "critical" }),
    );
  });

  it("fingerprints are stable across pushes: moved lines keep them, a fixed issue's disappears", () => {
    const first = gitlab(repo, "first-push").report;
    const second = gitlab(repo, "second-push").report;
    const third = gitlab(repo, "drop-currency").report;
    const byFingerprint = (report: Issue[]) => new Map(report.map((i) => [i.fingerprint, i]));
    expect([...byFingerprint(second).keys()].sort()).toEqual([...byFingerprint(first).keys()].sort());
    const removed = first.find((i) => i.check_name === "column-removed")!;
    expect(byFingerprint(second).get(removed.fingerprint)?.location.lines.begin).toBe(3);
    expect(byFingerprint(third).has(removed.fingerprint)).toBe(false);
    expect(third.length).toBeGreaterThan(0);
    expect(third.length).toBeLessThan(first.length);
  });

  it("an input error is still a report GitLab reads (one blocker issue), with exit 2", () => {
    const result = spawnSync(
      process.execPath,
      [BIN, "check", "--base", "no-such-branch", "--format", "gitlab"],
      {
        cwd: repo.dir,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as Issue[];
    expect(validate(report)).toBe(true);
    expect(report).toEqual([expect.objectContaining({ check_name: "covenant-error", severity: "blocker" })]);
  });
});
