import type { Verdict, Violation } from "../model/violation.ts";

/** Test helper shared by the renderers' tests: a BLOCK violation (orders.email dropped at db/2.sql:3), changed by `over`. */
export const violation = (over: Partial<Violation> = {}): Violation => ({
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
  help: "Keep email.",
  ...over,
});

/** A failing verdict with these violations and findings, and no schema changes. */
export const verdict = (violations: Violation[], findings: Verdict["findings"] = []): Verdict => ({
  conclusion: "failure",
  score: 40,
  status: "breaking",
  violations,
  changes: [],
  findings,
});
