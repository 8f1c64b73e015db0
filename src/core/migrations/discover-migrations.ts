import {
  basename,
  createPathFilter,
  dirname,
  isUnder,
  joinPath,
  normalizePath,
} from "../config/path-filter.ts";
import type { MigrationEntry, MigrationTool, RepoConfig } from "../config/repo-config.ts";
import type { Dialect } from "../model/contract-levels.ts";
import type { Finding } from "../model/finding.ts";
import { compareFlywayVersions, naturalCompare } from "./natural-compare.ts";
import { parseSqitchEngine, parseSqitchPlan } from "./sqitch-plan.ts";

/** One migration history: the files a tool applies, in the order it applies them. */
export type MigrationSet = {
  /** The directory the tool reads (Prisma's `migrations`, sqitch's top directory…). */
  root: string;
  tool: MigrationTool;
  dialect: Dialect;
  /** Repository-relative paths in replay order; down / undo / revert scripts are never listed. */
  files: string[];
  /**
   * Small files to read and pass to `resolveMigrationSets` before replaying: Prisma's
   * `migration_lock.toml` (the dialect), sqitch's `sqitch.plan` (the order) and `sqitch.conf`
   * (the engine). Absent once resolved or when nothing is needed.
   */
  needs?: string[];
  /** True when `.github/covenant.yml` named the dialect: a lock file or sqitch.conf then does not override it. */
  dialectFromConfig?: boolean;
  /** Problems found while discovering or resolving (rule `migration-discovery`, warning). */
  findings?: Finding[];
};

const DOWN_SCRIPT = /(^|[._-])(down|rollback|revert|undo)\.sql$/i;
const FLYWAY_VERSIONED = /^V(\d+(?:[._]\d+)*)__.+\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;
const FLYWAY_UNDO = /^U\d+(?:[._]\d+)*__.+\.sql$/;
const NUMBERED = /^\d+[^/]*\.sql$/;
const TIMESTAMPED = /^\d+_[^/]+\.sql$/;
const NUMBERED_DIRS = new Set(["migrations", "migration", "db"]);

const isSql = (path: string): boolean => path.toLowerCase().endsWith(".sql");

/**
 * Finds the migration histories among a repository's file paths (no content is read).
 *
 * Entries of `config.migrations` win over detection for every path below them (the longest entry
 * path wins); their tool is detected inside the entry when not given, else every `.sql` file
 * below the entry is replayed in natural order (tool `explicit`). Elsewhere the usual layouts are
 * detected: Prisma, Flyway, golang-migrate, dbmate (`db/migrations`), Supabase, sqitch and
 * numbered files in a directory named `migrations`, `migration` or `db`.
 *
 * Pure in two steps: a set that lists `needs` must go through `resolveMigrationSets` with the
 * contents of those files (Prisma's dialect comes from `migration_lock.toml`, sqitch's order
 * from `sqitch.plan`).
 */
export const discoverMigrations = (paths: string[], config: RepoConfig): MigrationSet[] => {
  const keep = createPathFilter(config);
  const all = [...new Set(paths.map(normalizePath))].filter(keep);
  const entries = [...config.migrations]
    .map((entry) => ({ ...entry, path: normalizePath(entry.path).replace(/\/+$/, "") }))
    .sort((a, b) => b.path.length - a.path.length);
  const byEntry = new Map<MigrationEntry, string[]>(entries.map((entry) => [entry, []]));
  const unclaimed: string[] = [];
  for (const path of all) {
    const entry = entries.find((candidate) => isUnder(path, candidate.path));
    if (entry) byEntry.get(entry)!.push(path);
    else unclaimed.push(path);
  }
  const sets: MigrationSet[] = [...detectSets(unclaimed)];
  for (const [entry, files] of byEntry) sets.push(...explicitSets(entry, files));
  return sets.sort((a, b) => naturalCompare(a.root, b.root));
};

const explicitSets = (entry: MigrationEntry, files: string[]): MigrationSet[] => {
  const withDialect = (set: MigrationSet): MigrationSet =>
    entry.dialect ? { ...set, dialect: entry.dialect, dialectFromConfig: true } : set;
  if (files.length === 0) {
    const finding: Finding = {
      rule: "migration-discovery",
      severity: "warning",
      file: ".github/covenant.yml",
      line: 1,
      message: `migrations path "${entry.path}" matches no file in the repository`,
      help: "Fix the path in .github/covenant.yml (it is relative to the repository root) or remove the entry.",
    };
    return [
      withDialect({
        root: entry.path,
        tool: entry.tool ?? "explicit",
        dialect: "postgres",
        files: [],
        findings: [finding],
      }),
    ];
  }
  if (entry.tool) return [withDialect(setForTool(entry.tool, entry.path, files))];
  const detected = detectSets(files);
  if (detected.length > 0) return detected.map(withDialect);
  return [withDialect(setForTool("explicit", entry.path, files))];
};

/** Builds the set of one tool from every file below its root, as a configuration entry asks. */
const setForTool = (tool: MigrationTool, root: string, files: string[]): MigrationSet => {
  const sql = files.filter(isSql);
  switch (tool) {
    case "prisma": {
      const lock = files.find((path) => basename(path) === "migration_lock.toml");
      return withNeeds(
        {
          root,
          tool,
          dialect: "postgres",
          files: orderPrisma(sql.filter((p) => basename(p) === "migration.sql")),
        },
        [lock],
      );
    }
    case "flyway":
      return { root, tool, dialect: "postgres", files: orderFlyway(sql) };
    case "golang-migrate":
      return {
        root,
        tool,
        dialect: "postgres",
        files: sql.filter((p) => p.endsWith(".up.sql")).sort(naturalCompare),
      };
    case "sqitch": {
      const plan = joinPath(root, "sqitch.plan");
      const conf = files.find((path) => path === joinPath(root, "sqitch.conf"));
      const deploy = sql.filter((path) => isUnder(path, joinPath(root, "deploy"))).sort(naturalCompare);
      return withNeeds({ root, tool, dialect: "postgres", files: deploy }, [plan, conf]);
    }
    default:
      return {
        root,
        tool,
        dialect: "postgres",
        files: sql.filter((p) => !DOWN_SCRIPT.test(basename(p))).sort(naturalCompare),
      };
  }
};

const withNeeds = (set: MigrationSet, needs: (string | undefined)[]): MigrationSet => {
  const present = needs.filter((need): need is string => need !== undefined);
  return present.length > 0 ? { ...set, needs: present } : set;
};

type Group = { tool: MigrationTool; root: string; files: string[] };

/** Detects the layouts of the usual tools from names alone; each file joins at most one set. */
const detectSets = (paths: string[]): MigrationSet[] => {
  const present = new Set(paths);
  const sqitchRoots = paths.filter((path) => basename(path) === "sqitch.plan").map(dirname);
  const groups = new Map<string, Group>();
  const add = (tool: MigrationTool, root: string, file: string): void => {
    const key = `${tool}\u0000${root}`;
    const group = groups.get(key) ?? { tool, root, files: [] };
    group.files.push(file);
    groups.set(key, group);
  };
  for (const path of paths) {
    if (!isSql(path)) continue;
    const dir = dirname(path);
    const name = basename(path);
    const sqitchRoot = sqitchRoots
      .filter((root) => isUnder(path, joinPath(root, "deploy")))
      .sort((a, b) => b.length - a.length)[0];
    if (sqitchRoot !== undefined) {
      add("sqitch", sqitchRoot, path);
    } else if (
      sqitchRoots.some(
        (root) => isUnder(path, joinPath(root, "revert")) || isUnder(path, joinPath(root, "verify")),
      )
    ) {
      // sqitch revert and verify scripts change or check nothing a reader depends on.
    } else if (
      name === "migration.sql" &&
      basename(dirname(dir)) === "migrations" &&
      /^\d{6,}/.test(basename(dir))
    ) {
      add("prisma", dirname(dir), path);
    } else if (FLYWAY_VERSIONED.test(name) || FLYWAY_REPEATABLE.test(name)) {
      add("flyway", dir, path);
    } else if (FLYWAY_UNDO.test(name) || /\.down\.sql$/i.test(name)) {
      // Undo and down scripts reverse a migration: replay only moves forward.
    } else if (/^\d+_[^/]*\.up\.sql$/i.test(name)) {
      add("golang-migrate", dir, path);
    } else if (
      (dir === "supabase/migrations" || dir.endsWith("/supabase/migrations")) &&
      TIMESTAMPED.test(name)
    ) {
      add("supabase", dir, path);
    } else if ((dir === "db/migrations" || dir.endsWith("/db/migrations")) && TIMESTAMPED.test(name)) {
      add("dbmate", dir, path);
    } else if (NUMBERED_DIRS.has(basename(dir)) && NUMBERED.test(name) && !DOWN_SCRIPT.test(name)) {
      add("numbered", dir, path);
    }
  }
  const sets: MigrationSet[] = [];
  for (const { tool, root, files } of mergeSameDirectory([...groups.values()])) {
    if (tool === "prisma") {
      const lock = joinPath(root, "migration_lock.toml");
      sets.push(
        withNeeds({ root, tool, dialect: "postgres", files: orderPrisma(files) }, [
          present.has(lock) ? lock : undefined,
        ]),
      );
    } else if (tool === "sqitch") {
      const conf = joinPath(root, "sqitch.conf");
      sets.push(
        withNeeds({ root, tool, dialect: "postgres", files: files.sort(naturalCompare) }, [
          joinPath(root, "sqitch.plan"),
          present.has(conf) ? conf : undefined,
        ]),
      );
    } else if (tool === "flyway") {
      sets.push({ root, tool, dialect: "postgres", files: orderFlyway(files) });
    } else {
      sets.push({ root, tool, dialect: "postgres", files: files.sort(naturalCompare) });
    }
  }
  return sets;
};

/** Tools whose migrations are the plain `.sql` files of one directory. */
const FLAT_TOOLS: ReadonlySet<MigrationTool> = new Set(["golang-migrate", "supabase", "dbmate", "numbered"]);

/**
 * One directory is one history: `0001_init.sql` (dbmate's spelling) and `0002.sql` (only
 * numbered) side by side are applied in one sequence, so they must be replayed as one set, under
 * the tool most of its files name.
 */
const mergeSameDirectory = (groups: Group[]): Group[] => {
  const merged: Group[] = [];
  for (const group of groups) {
    const same = FLAT_TOOLS.has(group.tool)
      ? merged.find((other) => other.root === group.root && FLAT_TOOLS.has(other.tool))
      : undefined;
    if (!same) {
      merged.push({ ...group, files: [...group.files] });
      continue;
    }
    if (group.files.length > same.files.length) same.tool = group.tool;
    same.files.push(...group.files);
  }
  return merged;
};

/** Prisma applies `migrations/<timestamp>_<name>/migration.sql` in directory-name order. */
const orderPrisma = (files: string[]): string[] =>
  [...files].sort(
    (a, b) => naturalCompare(basename(dirname(a)), basename(dirname(b))) || naturalCompare(a, b),
  );

/**
 * Flyway applies versioned migrations by version, then repeatable ones by description;
 * undo scripts (`U<n>__`) and anything else in the directory are not migrations.
 */
const orderFlyway = (files: string[]): string[] => {
  const versioned = files
    .map((path) => ({ path, version: FLYWAY_VERSIONED.exec(basename(path))?.[1] }))
    .filter((item): item is { path: string; version: string } => item.version !== undefined)
    .sort((a, b) => compareFlywayVersions(a.version, b.version) || naturalCompare(a.path, b.path))
    .map((item) => item.path);
  const repeatable = files
    .filter((path) => FLYWAY_REPEATABLE.test(basename(path)))
    .sort((a, b) => naturalCompare(basename(a), basename(b)));
  return [...versioned, ...repeatable];
};

const PRISMA_PROVIDERS: Record<string, Dialect> = {
  postgresql: "postgres",
  postgres: "postgres",
  cockroachdb: "postgres",
  mysql: "mysql",
  sqlite: "sqlite",
};

const SQITCH_ENGINES: Record<string, Dialect> = {
  pg: "postgres",
  mysql: "mysql",
  sqlite: "sqlite",
  snowflake: "snowflake",
};

export type FileSource = ReadonlyMap<string, string> | ((path: string) => string | undefined);

/**
 * Completes the sets that list `needs`, given those files' contents (a map or a reader; pure as
 * long as the reader is): Prisma takes its dialect from `migration_lock.toml` (`provider = "…"`),
 * sqitch its order from `sqitch.plan` (deploy scripts not in the plan are dropped, as sqitch
 * would never run them) and its engine from `sqitch.conf`. A dialect named in the configuration
 * is kept. Sets without `needs` are returned unchanged.
 */
export const resolveMigrationSets = (sets: MigrationSet[], source: FileSource): MigrationSet[] => {
  const read = typeof source === "function" ? source : (path: string) => source.get(path);
  return sets.map((set) => {
    if (!set.needs) return set;
    const { needs: _needs, ...rest } = set;
    const resolved: MigrationSet = { ...rest, findings: [...(set.findings ?? [])] };
    if (set.tool === "prisma") resolvePrisma(resolved, set.needs, read);
    if (set.tool === "sqitch") resolveSqitch(resolved, set.needs, read);
    if (resolved.findings?.length === 0) delete resolved.findings;
    return resolved;
  });
};

/** The name the task brief used; the same function. */
export const resolveMigrationDialects = resolveMigrationSets;

const warn = (set: MigrationSet, file: string, line: number, message: string, help: string): void => {
  set.findings!.push({ rule: "migration-discovery", severity: "warning", file, line, message, help });
};

const resolvePrisma = (
  set: MigrationSet,
  needs: string[],
  read: (path: string) => string | undefined,
): void => {
  const lock = needs.find((path) => basename(path) === "migration_lock.toml");
  const text = lock ? read(lock) : undefined;
  if (!lock || text === undefined || set.dialectFromConfig) return;
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((line) => /^\s*provider\s*=/.test(line));
  const provider = /^\s*provider\s*=\s*"([^"]*)"/.exec(lines[index] ?? "")?.[1];
  if (provider === undefined) return;
  const dialect = PRISMA_PROVIDERS[provider.toLowerCase()];
  if (dialect) {
    set.dialect = dialect;
    return;
  }
  warn(
    set,
    lock,
    index + 1,
    `Prisma provider "${provider}" is not supported; the migrations in ${set.root} are read as PostgreSQL`,
    "Name the dialect in .github/covenant.yml (migrations: [{ path, dialect }]) or exclude the directory with `ignore`.",
  );
};

const resolveSqitch = (
  set: MigrationSet,
  needs: string[],
  read: (path: string) => string | undefined,
): void => {
  const planPath = needs.find((path) => basename(path) === "sqitch.plan");
  const confPath = needs.find((path) => basename(path) === "sqitch.conf");
  const conf = confPath ? read(confPath) : undefined;
  if (conf !== undefined && !set.dialectFromConfig) {
    const engine = parseSqitchEngine(conf);
    const dialect = engine ? SQITCH_ENGINES[engine] : undefined;
    if (dialect) set.dialect = dialect;
    else if (engine) {
      warn(
        set,
        confPath!,
        1,
        `sqitch engine "${engine}" is not supported; ${set.root} is read as PostgreSQL`,
        "Name the dialect in .github/covenant.yml.",
      );
    }
  }
  const plan = planPath ? read(planPath) : undefined;
  if (planPath === undefined || plan === undefined) {
    warn(
      set,
      planPath ?? joinPath(set.root, "sqitch.plan"),
      1,
      `sqitch.plan of ${set.root} could not be read; deploy scripts are replayed in name order`,
      "Commit sqitch.plan next to the deploy directory.",
    );
    return;
  }
  const available = new Set(set.files);
  const ordered: string[] = [];
  for (const change of parseSqitchPlan(plan)) {
    const file = joinPath(set.root, change.deployScript);
    if (available.has(file)) ordered.push(file);
    else {
      warn(
        set,
        planPath,
        change.line,
        `sqitch change "${change.name}" has no deploy script ${file}`,
        "Add the deploy script or remove the change from sqitch.plan.",
      );
    }
  }
  set.files = ordered;
};
