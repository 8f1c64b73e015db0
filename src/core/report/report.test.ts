import { describe, expect, it } from "vitest";
import type { Verdict } from "../model/violation.ts";
import { renderCheckRun } from "./render-check-run.ts";
import { renderGithub } from "./render-github.ts";
import { toVerdictJson } from "./render-json.ts";
import { renderPrComment } from "./render-pr-comment.ts";
import { renderSarif } from "./render-sarif.ts";
import { describeChange, renderText } from "./render-text.ts";
import { verdict, violation } from "./report-test-kit.ts";

const failing: Verdict = {
  ...verdict(
    [
      violation({
        owners: ["@acme/data"],
        expected: "email (string, required)",
        actual: "dropped",
      }),
    ],
    [
      {
        rule: "sql-parse-error",
        severity: "warning",
        file: "db/2.sql",
        line: 7,
        message: "could not parse, x: 100%",
      },
    ],
  ),
  changes: [
    {
      kind: "column-removed",
      dataset: "public.orders",
      column: "email",
      location: { file: "db/2.sql", line: 3 },
    },
  ],
};

const clear: Verdict = {
  conclusion: "success",
  score: 0,
  status: "pass",
  violations: [],
  changes: [],
  findings: [],
};

describe("renderers", () => {
  it("text", () => {
    expect(renderText(failing, { color: false })).toMatchInlineSnapshot(`
      "contract orders (BLOCK)
        error column-removed
          at db/2.sql:3
          Column public.orders.email is dropped: readers break.
          expected: email (string, required)  actual: dropped
          fix: Keep email.
          id: 0123456789abcdef

      findings
        warning sql-parse-error db/2.sql:7: could not parse, x: 100%

      schema changes
        column-removed public.orders.email (db/2.sql:3)

      failure: Contract violations block this change — 1 error, 1 warning, 1 change; score 40 (breaking)
      "
    `);
    expect(renderText(failing, { color: true })).toContain("\u001b[31merror\u001b[0m");
  });

  it("json keeps the documented keys", () => {
    const json = toVerdictJson(failing);
    expect(json.violations[0]).toEqual({
      id: "0123456789abcdef",
      rule: "column-removed",
      severity: "error",
      contract: "orders",
      enforcement: "BLOCK",
      dataset: "public.orders",
      column: "email",
      file: "db/2.sql",
      line: 3,
      message: "Column public.orders.email is dropped: readers break.",
      expected: "email (string, required)",
      actual: "dropped",
      help: "Keep email.",
    });
    expect(json.changes).toEqual([
      { kind: "column-removed", dataset: "public.orders", column: "email", file: "db/2.sql", line: 3 },
    ]);
    expect(json.findings).toEqual([
      {
        rule: "sql-parse-error",
        severity: "warning",
        file: "db/2.sql",
        line: 7,
        message: "could not parse, x: 100%",
      },
    ]);
  });

  it("annotations are error only for what fails the check, in the check run and workflow commands alike", () => {
    const base = failing.violations[0]!;
    const notify: Verdict = {
      ...failing,
      conclusion: "neutral",
      violations: [
        { ...base, enforcement: "NOTIFY" },
        { ...base, id: "w", severity: "warning" },
      ],
    };
    expect(renderCheckRun(notify).annotations.map((a) => a.annotation_level)).toEqual([
      "warning",
      "warning",
      "warning",
    ]);
    expect(renderGithub(notify).match(/^::\w+/gm)).toEqual(["::warning", "::warning", "::warning"]);
    expect(renderCheckRun(failing).annotations.map((a) => a.annotation_level)).toEqual([
      "failure",
      "warning",
    ]);
    expect(renderGithub(failing).match(/^::\w+/gm)).toEqual(["::error", "::warning"]);
  });

  it("github escapes workflow command data and properties", () => {
    expect(renderGithub(failing)).toMatchInlineSnapshot(`
      "::error file=db/2.sql,line=3,title=column-removed (orders%2C BLOCK)::Column public.orders.email is dropped: readers break.%0AKeep email.
      ::warning file=db/2.sql,line=7,title=sql-parse-error::could not parse, x: 100%25
      covenant: failure (score 40, breaking)
      "
    `);
  });

  it("sarif", () => {
    const sarif = JSON.parse(renderSarif(failing));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.length).toBeGreaterThanOrEqual(20);
    expect(sarif.runs[0].results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level])).toEqual([
      ["column-removed", "error"],
      ["sql-parse-error", "warning"],
    ]);
  });

  it("check run", () => {
    const output = renderCheckRun(failing);
    expect(output.title).toBe("Contract violations block this change: 1 violation");
    expect(output.summary).toContain(
      "| ❌ | `column-removed` | `db/2.sql:3` | Column public.orders.email is dropped: readers break. | Keep email. |",
    );
    expect(output.annotations).toEqual([
      {
        path: "db/2.sql",
        start_line: 3,
        end_line: 3,
        annotation_level: "failure",
        title: "column-removed (orders, BLOCK)",
        message: "Column public.orders.email is dropped: readers break.\n\nKeep email.",
      },
      {
        path: "db/2.sql",
        start_line: 7,
        end_line: 7,
        annotation_level: "warning",
        title: "sql-parse-error",
        message: "could not parse, x: 100%",
      },
    ]);
    expect(renderCheckRun(clear).title).toBe("No blocking contract violations");
  });

  it.each([
    ["BLOCK", "error", "failure"],
    ["ALERT", "error", "warning"],
    ["NOTIFY", "error", "warning"],
    ["BLOCK", "warning", "warning"],
  ] as const)("a %s %s violation is a %s annotation", (enforcement, severity, level) => {
    const violation = { ...failing.violations[0]!, enforcement, severity };
    const output = renderCheckRun({ ...failing, violations: [violation], findings: [] });
    expect(output.annotations.map((a) => a.annotation_level)).toEqual([level]);
  });

  it("pr comment mentions owners at ALERT/BLOCK and has an all-clear body", () => {
    const body = renderPrComment(failing);
    expect(body.startsWith("<!-- covenant:pr-comment -->\n")).toBe(true);
    expect(body).toContain("@acme/data");
    expect(body).toContain("0123456789abcdef");
    const notify = renderPrComment({
      ...failing,
      conclusion: "neutral",
      violations: [{ ...failing.violations[0]!, enforcement: "NOTIFY" }],
    });
    expect(notify).not.toContain("Contract owners:");
    const recorded = renderPrComment({
      ...failing,
      violations: [{ ...failing.violations[0]!, enforcement: "RECORD" }],
    });
    expect(recorded).toContain("all clear");
    expect(renderPrComment(clear)).toMatchInlineSnapshot(`
      "<!-- covenant:pr-comment -->
      ### ✅ Covenant: all clear

      No contract is broken by this pull request.

      No schema changes.
      "
    `);
  });
});

describe("text lists each schema change", () => {
  it.each([
    [
      {
        kind: "column-type-widened",
        dataset: "public.customers",
        column: "phone",
        before: "varchar(20)",
        after: "varchar(40)",
        location: { file: "db/7.sql", line: 6 },
      },
      "column-type-widened public.customers.phone: varchar(20) -> varchar(40) (db/7.sql:6)",
    ],
    [
      {
        kind: "column-renamed",
        dataset: "public.orders",
        column: "amount",
        to: "total",
        location: { file: "db/7.sql", line: 2 },
      },
      "column-renamed public.orders.amount -> total (db/7.sql:2)",
    ],
    [{ kind: "dataset-added", dataset: "public.audit" }, "dataset-added public.audit"],
    [{ kind: "column-added", dataset: "t", column: "c", after: "text" }, "column-added t.c: text"],
    [{ kind: "column-removed", dataset: "t", column: "c", before: "text" }, "column-removed t.c (was text)"],
  ] as const)("%o", (change, line) => {
    expect(describeChange(change)).toBe(line);
  });

  it("summarises what does not fit", () => {
    const changes = Array.from({ length: 53 }, (_, i) => ({
      kind: "column-added" as const,
      dataset: "t",
      column: `c${i}`,
    }));
    const text = renderText({ ...clear, changes }, { color: false });
    expect(text).toContain("column-added t.c49\n");
    expect(text).not.toContain("t.c50");
    expect(text).toContain("… and 3 more changes (column-added: 3)");
  });
});
