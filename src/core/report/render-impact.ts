import type { Impact } from "../model/impact.ts";
import type { Verdict } from "../model/violation.ts";

/** More lines than this and the PR comment folds the blast radius away. */
export const IMPACT_FOLD_LINES = 12;

const subject = (impact: Impact): string =>
  impact.column ? `${impact.dataset}.${impact.column}` : impact.dataset;

const reachNote = (reach: string): string =>
  reach === "projection" ? "" : reach === "dependency" ? " (filter/join)" : " (lineage unknown)";

/** One line per downstream node: `dim_customers: email, (rows)` with owners. */
export const impactLines = (impact: Impact): string[] => [
  ...impact.downstream.map((node) => {
    const columns = node.columns.map(
      (c) => `${c.name === "*" ? "all columns" : c.name}${reachNote(c.reach)}`,
    );
    return `${node.kind} ${node.node}: ${columns.join(", ")}${node.owners.length > 0 ? ` — owners ${node.owners.join(", ")}` : ""}`;
  }),
  ...impact.exposures.map(
    (exposure) =>
      `exposure ${exposure.name}${exposure.type ? ` (${exposure.type})` : ""}${reachNote(exposure.reach)}${exposure.owners.length > 0 ? ` — owners ${exposure.owners.join(", ")}` : ""}`,
  ),
];

/** The blast radius in Markdown (check run summary and PR comment), folded when long. */
export const impactMarkdown = (verdict: Verdict, { fold }: { fold: boolean }): string[] => {
  const impacts = verdict.impact ?? [];
  if (impacts.length === 0) return [];
  const body = impacts.flatMap((impact) => [
    `- \`${subject(impact)}\` (${impact.kind}) reaches ${impact.downstream.length} downstream node(s) and ${impact.exposures.length} exposure(s)${impact.owners.length > 0 ? `; owners: ${impact.owners.join(", ")}` : ""}`,
    ...impactLines(impact).map((line) => `  - ${line.replaceAll("|", "\\|")}`),
  ]);
  const title = `**Downstream impact** (${impacts.length} change${impacts.length === 1 ? "" : "s"})`;
  if (fold && body.length > IMPACT_FOLD_LINES)
    return ["", `<details><summary>${title}</summary>`, "", ...body, "", "</details>"];
  return ["", `${title}:`, ...body];
};

/** The blast radius as text lines (CLI). */
export const impactText = (verdict: Verdict): string[] =>
  (verdict.impact ?? []).flatMap((impact) => [
    `  ${subject(impact)} (${impact.kind})${impact.file ? ` at ${impact.file}:${impact.line ?? 1}` : ""}`,
    ...impactLines(impact).map((line) => `    ${line}`),
  ]);

/** The JSON shape of `impact` (snake_case, like every field Covenant emits). */
export const impactJson = (impacts: readonly Impact[]) =>
  impacts.map((impact) => ({
    kind: impact.kind,
    dataset: impact.dataset,
    column: impact.column ?? null,
    file: impact.file ?? null,
    line: impact.line ?? null,
    downstream: impact.downstream.map((node) => ({
      node: node.node,
      kind: node.kind,
      file: node.file ?? null,
      owners: node.owners,
      columns: node.columns.map((c) => ({ name: c.name, reach: c.reach, path: c.path })),
    })),
    exposures: impact.exposures.map((e) => ({
      name: e.name,
      type: e.type ?? null,
      url: e.url ?? null,
      owners: e.owners,
      reach: e.reach,
      path: e.path,
    })),
    owners: impact.owners,
  }));
