import { describe, expect, it } from "vitest";
import type { EnforcementLevel } from "../model/contract-levels.ts";
import type { Violation } from "../model/violation.ts";
import { effectiveLevel, judge, levelActions } from "./judge.ts";

const v = (
  rule: string,
  severity: Violation["severity"],
  enforcement: EnforcementLevel,
  id = rule,
): Violation => ({
  id,
  rule,
  severity,
  contract: "orders",
  enforcement,
  dataset: "public.orders",
  column: "email",
  file: "db/2.sql",
  line: 1,
  message: "m",
  expected: rule === "column-removed" ? "email (string, required)" : "x",
});

describe("judge", () => {
  it.each([
    { name: "BLOCK error fails", vs: [v("column-removed", "error", "BLOCK")], conclusion: "failure" },
    {
      name: "BLOCK warning is neutral",
      vs: [v("unique-removed", "warning", "BLOCK")],
      conclusion: "neutral",
    },
    { name: "ALERT error is neutral", vs: [v("column-removed", "error", "ALERT")], conclusion: "neutral" },
    { name: "NOTIFY error is neutral", vs: [v("column-removed", "error", "NOTIFY")], conclusion: "neutral" },
    { name: "RECORD error succeeds", vs: [v("column-removed", "error", "RECORD")], conclusion: "success" },
    { name: "INACTIVE is dropped", vs: [v("column-removed", "error", "INACTIVE")], conclusion: "success" },
    {
      name: "dry run: max NOTIFY caps BLOCK",
      vs: [v("column-removed", "error", "BLOCK")],
      policy: { max: "NOTIFY" as const },
      conclusion: "neutral",
    },
    {
      name: "floor raises RECORD to BLOCK",
      vs: [v("column-removed", "error", "RECORD")],
      policy: { min: "BLOCK" as const },
      conclusion: "failure",
    },
    {
      name: "floor does not wake INACTIVE",
      vs: [v("column-removed", "error", "INACTIVE")],
      policy: { min: "BLOCK" as const },
      conclusion: "success",
    },
    {
      name: "contract-invalid always fails",
      vs: [v("contract-invalid", "error", "RECORD")],
      policy: { max: "RECORD" as const },
      conclusion: "failure",
    },
    {
      name: "waived BLOCK error succeeds",
      vs: [v("column-removed", "error", "BLOCK", "abc")],
      waive: "abc",
      conclusion: "success",
    },
    { name: "nothing", vs: [], conclusion: "success" },
  ])("$name -> $conclusion", ({ vs, policy, waive, conclusion }) => {
    const verdict = judge({
      violations: vs,
      findings: [],
      changes: [],
      ...(policy ? { policy } : {}),
      ...(waive ? { waivers: [{ violationId: waive, by: "@owner", reason: "ok", at: "2024-01-01" }] } : {}),
    });
    expect(verdict.conclusion).toBe(conclusion);
  });

  it("scores DriftGuard-style and drops INACTIVE", () => {
    const verdict = judge({
      violations: [
        v("column-removed", "error", "BLOCK", "a"),
        { ...v("column-removed", "error", "BLOCK", "b"), expected: "x (string, optional)" },
        v("column-type-changed", "error", "BLOCK", "c"),
        v("unique-removed", "warning", "INACTIVE", "d"),
      ],
      findings: [],
      changes: [],
    });
    expect(verdict.violations.map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(verdict.score).toBe(90);
    expect(verdict.status).toBe("breaking");
    expect(
      judge({ violations: [v("unique-removed", "warning", "NOTIFY")], findings: [], changes: [] }),
    ).toMatchObject({
      score: 10,
      status: "warning",
    });
    expect(
      judge({
        violations: Array.from({ length: 5 }, (_, i) => v("dataset-removed", "error", "BLOCK", `${i}`)),
        findings: [],
        changes: [],
      }).score,
    ).toBe(100);
  });

  it("effective level and actions", () => {
    expect(effectiveLevel("BLOCK", { max: "ALERT" })).toBe("ALERT");
    expect(effectiveLevel("RECORD", { min: "NOTIFY", max: "ALERT" })).toBe("NOTIFY");
    expect(levelActions("RECORD")).toEqual({
      store: true,
      comment: false,
      requestReview: false,
      canFail: false,
    });
    expect(levelActions("ALERT")).toEqual({
      store: true,
      comment: true,
      requestReview: true,
      canFail: false,
    });
    expect(levelActions("BLOCK").canFail).toBe(true);
    expect(levelActions("INACTIVE").store).toBe(false);
  });
});
