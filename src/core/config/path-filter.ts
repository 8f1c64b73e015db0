import picomatch from "picomatch";
import type { RepoConfig } from "./repo-config.ts";

/** Directories that hold someone else's code, never the repository's own migrations or models. */
const ALWAYS_SKIPPED = new Set([
  "node_modules",
  "vendor",
  ".git",
  "bower_components",
  "dbt_packages",
  "target",
]);

/** Repository-relative, forward slashes, no leading `./` or `/`, so globs and prefixes compare. */
export const normalizePath = (path: string): string =>
  // Most paths (every path of a git tree) are already normal: one test instead of four rewrites.
  !NEEDS_NORMALIZING.test(path)
    ? path
    : path
        .replace(/\\/g, "/")
        .replace(/^(\.\/)+/, "")
        .replace(/^\/+/, "")
        .replace(/\/{2,}/g, "/");

const NEEDS_NORMALIZING = /\\|^\.\/|^\/|\/\//;

/**
 * A predicate telling which repository paths may be analysed: vendored directories and the
 * configuration's `ignore` globs are out. `dbt_packages` and `target` are dbt's installed
 * packages and compiled output, which would otherwise look like models.
 */
export const createPathFilter = (config: Pick<RepoConfig, "ignore">): ((path: string) => boolean) => {
  const ignored = config.ignore.length > 0 ? picomatch(config.ignore, { dot: true }) : () => false;
  return (path) => {
    const normalized = normalizePath(path);
    const segments = normalized.split("/");
    for (let i = 0; i < segments.length - 1; i++) if (ALWAYS_SKIPPED.has(segments[i]!)) return false;
    return !ignored(normalized);
  };
};

/** True when `path` is `dir` itself or lies below it. An empty `dir` (the repository root) holds everything. */
export const isUnder = (path: string, dir: string): boolean => {
  const root = normalizePath(dir).replace(/\/+$/, "");
  return root === "" || root === "." || path === root || path.startsWith(`${root}/`);
};

export const dirname = (path: string): string => {
  const index = path.lastIndexOf("/");
  return index < 0 ? "" : path.slice(0, index);
};

export const basename = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

export const joinPath = (dir: string, name: string): string =>
  dir === "" || dir === "." ? name : `${dir}/${name}`;
