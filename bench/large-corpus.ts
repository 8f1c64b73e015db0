/**
 * The large corpus of `npm run bench:engine`: real migration histories of open-source projects,
 * read from a directory that is never committed (the projects' licences vary), plus the Debian
 * package histories the fidelity tests fetch themselves.
 *
 * Layout of the directory (`--corpus DIR` or `COVENANT_BENCH_CORPUS=DIR`): one folder per
 * history under a folder per dialect, each holding that project's migrations in any layout
 * Covenant detects (Prisma `migrations/<ts>/migration.sql`, diesel or golang-migrate `up.sql`,
 * Flyway `V<n>__*.sql`, numbered files in a `migrations` folder…):
 *
 *     DIR/postgres/trigger.dev/migrations/20221118135011_init/migration.sql
 *     DIR/postgres/lemmy/migrations/2019-02-26-002946_create_user/up.sql
 *     DIR/mysql/vaultwarden/…
 *     DIR/sqlite/authelia/…
 *
 * The files of a history are found and ordered by Covenant's own discovery, as `covenant schema
 * --dialect <dialect> DIR/<dialect>/<name>` finds them, so the in-process replay, the CLI and
 * Squawk all read the same files in the same order. docs/replay-benchmark.md lists the projects and
 * folders the published figures were measured on.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { DEFAULT_REPO_CONFIG } from "../src/core/config/repo-config.ts";
import { discoverMigrations, resolveMigrationSets } from "../src/core/migrations/discover-migrations.ts";
import { extractMigrationUp } from "../src/core/migrations/extract-migration-up.ts";
import type { Dialect } from "../src/core/model/contract-levels.ts";
import { defaultCacheDir, historyBytes, loadCorpus } from "../test/fidelity/corpus.ts";

export type CorpusDialect = "postgres" | "mysql" | "sqlite";

export type BenchHistory = {
  name: string;
  dialect: CorpusDialect;
  /** Replay input: paths relative to `cwd`, contents as the CLI reads them (up part only). */
  files: { path: string; content: string }[];
  /** Absolute paths of the same files, in replay order (for Squawk). */
  absolute: string[];
  /** The CLI's arguments: the history's folder, or its files in order for a Debian history. */
  cliArgs: string[];
  cwd: string;
  bytes: number;
};

const DIALECTS: readonly CorpusDialect[] = ["postgres", "mysql", "sqlite"];

const walk = (dir: string, out: string[]): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
};

const toPosix = (path: string): string => path.split(sep).join("/");

/** One history folder, discovered exactly as `covenant schema --dialect D FOLDER` discovers it. */
const loadFolder = (cwd: string, name: string, dialect: CorpusDialect): BenchHistory => {
  const root = join(cwd, dialect, name);
  const all: string[] = [];
  walk(root, all);
  const rel = toPosix(relative(cwd, root));
  const config = { ...DEFAULT_REPO_CONFIG, migrations: [{ path: rel, dialect: dialect as Dialect }] };
  const read = (path: string) => readFileSync(join(cwd, path), "utf8");
  const sets = resolveMigrationSets(
    discoverMigrations(
      all.map((p) => toPosix(relative(cwd, p))),
      config,
    ),
    read,
  );
  const files = sets.flatMap((set) =>
    set.files.map((path) => ({ path, content: extractMigrationUp(read(path), set.tool) })),
  );
  if (files.length === 0) throw new Error(`${root}: Covenant finds no migration history in this folder`);
  return {
    name,
    dialect,
    files,
    absolute: files.map((f) => join(cwd, f.path)),
    cliArgs: ["--dialect", dialect, rel],
    cwd,
    bytes: files.reduce((n, f) => n + Buffer.byteLength(f.content, "utf8"), 0),
  };
};

/** The histories of a corpus folder, by dialect then name. */
export const loadCorpusDir = (dir: string): BenchHistory[] => {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`${dir} is not a folder (expected <dialect>/<history>/… inside)`);
  const out: BenchHistory[] = [];
  for (const dialect of DIALECTS) {
    const d = join(dir, dialect);
    if (!statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
    const names = readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    for (const name of names) out.push(loadFolder(dir, name, dialect));
  }
  return out;
};

/** The Debian package histories (fetched on first use), as bench histories. */
export const loadDebianHistories = (): BenchHistory[] => {
  const cache = defaultCacheDir();
  return loadCorpus().map((h) => ({
    name: `${h.pkg} (Debian)`,
    dialect: h.engine,
    files: h.files,
    absolute: h.files.map((f) => join(cache, h.pkg, f.path)),
    cliArgs: ["--dialect", h.engine, ...h.files.map((f) => f.path)],
    cwd: join(cache, h.pkg),
    bytes: historyBytes(h),
  }));
};
