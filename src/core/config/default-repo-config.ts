import type { RepoConfig } from "./repo-config.ts";

export const DEFAULT_CONTRACT_GLOBS = ["contracts/**/*.yaml", "contracts/**/*.yml"];

/**
 * The configuration of a repository without `.github/covenant.yml` (what `RepoConfigSchema` makes
 * of an empty file; repo-config.test.ts holds the two equal). A module of its own, without zod and
 * yaml, so that `covenant schema` and the other one-shot readers of migrations do not load them.
 */
export const DEFAULT_REPO_CONFIG: RepoConfig = {
  contracts: DEFAULT_CONTRACT_GLOBS,
  migrations: [],
  dbt: [],
  ignore: [],
};
