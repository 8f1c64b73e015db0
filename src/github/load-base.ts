import {
  type AnalysisResult,
  type AnalyzeInput,
  type BaseSnapshot,
  loadRepoConfig,
  planAnalysis,
  REPO_CONFIG_PATH,
} from "../core/analyze.ts";
import type { RepoConfig } from "../core/config/repo-config.ts";
import { dbtProjectFiles } from "../core/dbt/discover-dbt-projects.ts";
import { CovenantError } from "../core/errors.ts";
import type { UnreadableFile } from "../core/files/repository-files.ts";
import type { Finding } from "../core/model/finding.ts";
import type { Db } from "../db/client.ts";
import {
  type CachedBase,
  cachedBaseOf,
  getSchemaSnapshot,
  saveSchemaSnapshot,
} from "../db/github-snapshots.ts";
import { type Octokit, readFiles, readTree } from "./read-repository.ts";

/**
 * What a commit of the default branch contributes to every PR based on it: its paths, its
 * configuration and contract files, and the replayed migration history. Cached by commit SHA, so
 * only the first PR (or the push) on a base commit pays for reading and replaying its history.
 */
export type LoadedBase = {
  sha: string;
  paths: string[];
  /** Configuration, contracts and other small files the analysis reads at the base. */
  files: Map<string, string>;
  config: RepoConfig;
  snapshot: BaseSnapshot;
  /** Files of the base that could not be read, and notes on files read in another encoding. */
  unreadable: UnreadableFile[];
  readFindings: Finding[];
  cached: boolean;
};

/**
 * The bases read last in this process, by repository and commit. A base never changes (its SHA
 * names it), and each PR on it would otherwise read its snapshot row and parse its JSON again on
 * the thread that acknowledges webhooks: a few MB for a long history.
 */
const RECENT_BASES = 8;
const recentBases = new Map<string, LoadedBase>();
const remember = (key: string, base: LoadedBase): LoadedBase => {
  recentBases.delete(key);
  recentBases.set(key, base);
  if (recentBases.size > RECENT_BASES) recentBases.delete(recentBases.keys().next().value!);
  return base;
};

export const loadBase = async (options: {
  octokit: Octokit;
  db: Db;
  analyze: (input: AnalyzeInput) => Promise<AnalysisResult>;
  owner: string;
  repo: string;
  repositoryId: string;
  sha: string;
}): Promise<LoadedBase> => {
  const key = `${options.repositoryId}:${options.sha}`;
  const recent = recentBases.get(key);
  if (recent) return remember(key, recent);
  return remember(key, await readBase(options));
};

const readBase = async ({
  octokit,
  db,
  analyze,
  owner,
  repo,
  repositoryId,
  sha,
}: {
  octokit: Octokit;
  db: Db;
  /** The replay is the CPU-bound part: the analysis pool runs it off the main thread. */
  analyze: (input: AnalyzeInput) => Promise<AnalysisResult>;
  owner: string;
  repo: string;
  repositoryId: string;
  sha: string;
}): Promise<LoadedBase> => {
  const cached = cachedBaseOf(await getSchemaSnapshot(db, repositoryId, sha));
  if (cached) {
    const files = new Map(Object.entries(cached.files));
    return {
      sha,
      paths: cached.paths,
      files,
      config: loadRepoConfig(files.get(REPO_CONFIG_PATH)),
      snapshot: cached.snapshot,
      unreadable: cached.unreadable,
      readFindings: cached.readFindings,
      cached: true,
    };
  }
  const tree = await readTree(octokit, { owner, repo, sha });
  // The configuration decides which files matter, so it is read first (only if there is one).
  const configFiles = tree.paths.includes(REPO_CONFIG_PATH)
    ? await readFiles(octokit, { owner, repo, sha, paths: [REPO_CONFIG_PATH], entries: tree.entries })
    : undefined;
  const configProblem = configFiles?.unreadable[0];
  if (configProblem)
    throw new CovenantError("invalid_input", `${REPO_CONFIG_PATH} cannot be read: ${configProblem.reason}`);
  const config = loadRepoConfig(configFiles?.files.get(REPO_CONFIG_PATH));
  // Then dbt_project.yml: its folder settings say which files of a project are fetched.
  const projectPaths = dbtProjectFiles(tree.paths, config);
  const projects =
    projectPaths.length > 0
      ? await readFiles(octokit, { owner, repo, sha, paths: projectPaths, entries: tree.entries })
      : undefined;
  const dbtProjectTexts = { base: projects?.files ?? new Map<string, string>() };
  const plan = planAnalysis({
    basePaths: tree.paths,
    headPaths: tree.paths,
    changedPaths: [],
    config,
    dbtProjectTexts,
  });
  const rest = await readFiles(octokit, {
    owner,
    repo,
    sha,
    paths: plan.base.filter((path) => path !== REPO_CONFIG_PATH && !projectPaths.includes(path)),
    entries: tree.entries,
  });
  const read = {
    unreadable: [...(projects?.unreadable ?? []), ...rest.unreadable],
    findings: [...(projects?.findings ?? []), ...rest.findings],
  };
  const contents = new Map([...(projects?.files ?? []), ...rest.files]);
  for (const [path, text] of configFiles?.files ?? []) contents.set(path, text);
  const { baseSnapshot } = await analyze({
    basePaths: tree.paths,
    headPaths: tree.paths,
    changedPaths: [],
    base: contents,
    head: contents,
    config,
  });
  // Keep what a warm analysis still reads at the base; the migrations live on in the snapshot.
  const keep = planAnalysis({
    basePaths: tree.paths,
    headPaths: tree.paths,
    changedPaths: [],
    config,
    haveBaseSnapshot: true,
    dbtProjectTexts,
  }).base;
  const files = new Map(
    keep.flatMap((path) => (contents.has(path) ? [[path, contents.get(path)!] as const] : [])),
  );
  const data: CachedBase = {
    version: 2,
    paths: tree.paths,
    files: Object.fromEntries(files),
    snapshot: baseSnapshot,
    unreadable: read.unreadable,
    readFindings: read.findings,
  };
  await saveSchemaSnapshot(db, { repositoryId, commitSha: sha, data });
  return {
    sha,
    paths: tree.paths,
    files,
    config,
    snapshot: baseSnapshot,
    unreadable: read.unreadable,
    readFindings: read.findings,
    cached: false,
  };
};
