import { analyze, loadRepoConfig, planAnalysis, REPO_CONFIG_PATH } from "../core/analyze.ts";
import { dbtProjectFiles } from "../core/dbt/discover-dbt-projects.ts";
import { CovenantError } from "../core/errors.ts";
import type { TreeEntry } from "../core/files/repository-files.ts";
import type { Verdict } from "../core/model/violation.ts";
import type { GitReader } from "./git.ts";

/**
 * A change in a local git repository judged as a pull request would be: the head's changes since
 * its merge base with the base, applied on the base as it is now, against the base's contracts and
 * configuration (or `configText`, a configuration given in its place). `covenant check` and the
 * GitHub Action both judge through here, so their verdicts cannot drift apart.
 */
export const judgeGitChange = async ({
  git,
  base,
  head,
  mergeBase = git.mergeBase(base, head),
  configText,
  dbtVars,
}: {
  git: GitReader;
  /** Commit ids (resolved). */
  base: string;
  head: string;
  /** When the caller already knows it (`git merge-base base head`). */
  mergeBase?: string;
  configText?: string;
  /** `--vars`: dbt vars over the projects' own (see AnalyzeInput). */
  dbtVars?: Readonly<Record<string, unknown>>;
}): Promise<Verdict> => {
  const baseTree = git.listTree(base);
  const headTree = git.listTree(head);
  const changedPaths = git.changedPaths(mergeBase, head);
  const changed = new Set(changedPaths);
  // What main becomes once merged: the base, with the head's own changes on top.
  const headEntry = (path: string) => (changed.has(path) ? headTree.get(path) : baseTree.get(path));
  const basePaths = [...baseTree.keys()];
  const headPaths = [
    ...basePaths.filter((path) => !changed.has(path)),
    ...changedPaths.filter((path) => headTree.has(path)),
  ];
  const config = loadRepoConfig(configText ?? readBaseConfig(git, baseTree));
  // dbt_project.yml first: its folder settings say which files of a project to read.
  const baseProjects = git.readFiles(dbtProjectFiles(basePaths, config), (path) => baseTree.get(path));
  const headProjects = git.readFiles(
    dbtProjectFiles(headPaths, config).filter((path) => changed.has(path)),
    headEntry,
  );
  const plan = planAnalysis({
    basePaths,
    headPaths,
    changedPaths,
    config,
    dbtProjectTexts: { base: baseProjects.files, head: headProjects.files },
  });
  const baseRead = git.readFiles(plan.base, (path) => baseTree.get(path));
  const headRead = git.readFiles(plan.head, headEntry);
  const { verdict } = await analyze({
    basePaths,
    headPaths,
    changedPaths,
    config,
    base: baseRead.files,
    head: headRead.files,
    unreadable: [...baseRead.unreadable, ...headRead.unreadable],
    readFindings: [...baseRead.findings, ...headRead.findings],
    ...(dbtVars ? { dbtVars } : {}),
  });
  return verdict;
};

const readBaseConfig = (git: GitReader, tree: Map<string, TreeEntry>): string | undefined => {
  if (!tree.has(REPO_CONFIG_PATH)) return undefined;
  const read = git.readFiles([REPO_CONFIG_PATH], (path) => tree.get(path));
  const problem = read.unreadable[0];
  if (problem)
    throw new CovenantError(
      "invalid_input",
      `${REPO_CONFIG_PATH} on the base cannot be read: ${problem.reason}`,
    );
  return read.files.get(REPO_CONFIG_PATH);
};
