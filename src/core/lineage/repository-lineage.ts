import { normalizePath } from "../config/path-filter.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { DbtProject } from "../dbt/discover-dbt-projects.ts";
import type { Finding } from "../model/finding.ts";
import { type DbtNode, readDbtGraph } from "./dbt-graph.ts";

/** The dbt graph of every project of a revision, from the files `discoverDbtProjects` listed. */
export const readRepositoryDbtGraph = (
  projects: readonly DbtProject[],
  contents: ReadonlyMap<string, string>,
  config: Pick<RepoConfig, "dbt">,
  /** `--vars` given on the command line: over every project's own. */
  vars?: Readonly<Record<string, unknown>>,
): { nodes: DbtNode[]; findings: Finding[] } => {
  const nodes: DbtNode[] = [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const project of projects) {
    const files = new Map(
      project.files.flatMap((f) => (contents.has(f) ? [[f, contents.get(f)!] as const] : [])),
    );
    const entry = config.dbt.find(
      (e) => normalizePath(e.path).replace(/\/+$/, "").replace(/^\.$/, "") === project.root,
    );
    const graph = readDbtGraph({
      project,
      files,
      ...(entry?.dialect ? { dialect: entry.dialect } : {}),
      ...(vars ? { vars } : {}),
    });
    findings.push(...graph.findings);
    // Names are global across projects (cross-project refs resolve by name): the first wins.
    for (const node of graph.nodes) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      nodes.push(node);
    }
  }
  return { nodes, findings };
};
