import { isBlocking } from "../enforce/judge.ts";
import type { Finding } from "../model/finding.ts";
import type { Violation } from "../model/violation.ts";

export type AnnotationLevel = "error" | "warning" | "notice";

/**
 * How loudly a result is annotated on the diff, the same in the App's check run and in workflow
 * annotations (the Action, `check --format github`): error only for what fails the check, so a
 * reviewer of a NOTIFY or ALERT contract is not told that an error blocks the merge when the check
 * ends neutral; info is a notice; everything else a warning.
 */
export const violationAnnotationLevel = (v: Violation): AnnotationLevel =>
  isBlocking(v) ? "error" : v.severity === "info" ? "notice" : "warning";

/** Findings never fail the check by themselves (a finding that would becomes a violation). */
export const findingAnnotationLevel = (f: Finding): AnnotationLevel =>
  f.severity === "info" ? "notice" : "warning";
