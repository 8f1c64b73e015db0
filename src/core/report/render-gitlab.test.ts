import { describe, expect, it } from "vitest";
import { renderCheckError } from "./render-error.ts";
import { gitlabCodeQuality, renderGitlab } from "./render-gitlab.ts";
import { verdict, violation } from "./report-test-kit.ts";

describe("GitLab Code Quality report", () => {
  it("one issue per open violation and finding, with GitLab's fields only", () => {
    const report = gitlabCodeQuality(
      verdict(
        [
          violation({}),
          violation({
            id: "1",
            rule: "column-became-nullable",
            severity: "warning",
            column: "status",
            line: 4,
          }),
          violation({ id: "2", enforcement: "NOTIFY", contract: "customers", dataset: "public.customers" }),
          violation({ id: "3", waived: { by: "olivia", reason: "planned", at: "2026-01-01" } }),
          violation({ id: "4", file: undefined, line: undefined }),
        ],
        [
          {
            rule: "sql-parse-error",
            severity: "warning",
            file: "db/2.sql",
            line: 7,
            message: "could not parse",
          },
        ],
      ),
    );
    expect(report.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin])).toEqual([
      ["column-removed", "blocker", "db/2.sql", 3], // fails the check
      ["column-became-nullable", "major", "db/2.sql", 4],
      ["column-removed", "critical", "db/2.sql", 3], // an error that does not block (NOTIFY)
      ["column-removed", "blocker", ".github/covenant.yml", 1], // no file: the repository configuration
      ["sql-parse-error", "minor", "db/2.sql", 7],
    ]);
    for (const issue of report)
      expect(Object.keys(issue).sort()).toEqual([
        "check_name",
        "description",
        "fingerprint",
        "location",
        "severity",
      ]);
    expect(report[0]?.description).toBe(
      "orders (BLOCK): Column public.orders.email is dropped: readers break. Fix: Keep email.",
    );
    expect(new Set(report.map((i) => i.fingerprint)).size).toBe(report.length);
  });

  it("fingerprints stay when lines move and differ when the fact differs", () => {
    const [before] = gitlabCodeQuality(verdict([violation({ line: 3 })]));
    const [moved] = gitlabCodeQuality(verdict([violation({ line: 30, file: "db/2.sql" })]));
    const [other] = gitlabCodeQuality(verdict([violation({ id: "fedcba9876543210" })]));
    expect(moved?.fingerprint).toBe(before?.fingerprint);
    expect(other?.fingerprint).not.toBe(before?.fingerprint);
    const finding = (line: number) =>
      gitlabCodeQuality(
        verdict([], [{ rule: "sql-parse-error", severity: "warning", file: "a.sql", line, message: "m" }]),
      )[0]?.fingerprint;
    expect(finding(1)).toBe(finding(9));
  });

  it("two issues with the same identity still get distinct fingerprints", () => {
    const f = { rule: "sql-parse-error", severity: "warning" as const, file: "a.sql", message: "m" };
    const report = gitlabCodeQuality(
      verdict(
        [],
        [
          { ...f, line: 1 },
          { ...f, line: 5 },
        ],
      ),
    );
    expect(report[0]?.fingerprint).not.toBe(report[1]?.fingerprint);
  });

  it("nothing to report is an empty array; an error is one blocker issue", () => {
    expect(renderGitlab({ ...verdict([]), conclusion: "success", score: 0, status: "pass" })).toBe("[]\n");
    const error = JSON.parse(renderCheckError({ code: "invalid_input", message: "no base" }, "gitlab"));
    expect(error).toEqual([
      expect.objectContaining({
        check_name: "covenant-error",
        severity: "blocker",
        description: "Covenant could not judge this change: no base",
        location: { path: ".github/covenant.yml", lines: { begin: 1 } },
      }),
    ]);
  });
});
