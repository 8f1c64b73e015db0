import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { REPO_CONFIG_PATH } from "../core/analyze.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../core/config/repo-config.ts";
import { discoverDbtProjects } from "../core/dbt/discover-dbt-projects.ts";
import { readDbtModels } from "../core/dbt/read-dbt-models.ts";
import { CovenantError } from "../core/errors.ts";
import {
  discoverMigrations,
  type MigrationSet,
  resolveMigrationSets,
} from "../core/migrations/discover-migrations.ts";
import { extractMigrationUp } from "../core/migrations/extract-migration-up.ts";
import { guessDialect } from "../core/migrations/guess-dialect.ts";
import { datasetMatches, parseContract } from "../core/model/contract.ts";
import type { Dialect } from "../core/model/contract-levels.ts";
import type { TableSchema } from "../core/model/schema.ts";
import { defaultContractName, renderContractSkeleton } from "../core/report/render-contract-skeleton.ts";
import { type DetectedMigrations, renderRepoConfig } from "../core/report/render-repo-config.ts";
import { replay } from "../core/sql/replay.ts";
import type { CliIO } from "./io.ts";

export type InitOptions = {
  repo: string;
  dataset?: string;
  dialect?: Dialect;
  owner?: string;
  force?: boolean;
};

const SKIP = new Set(["node_modules", ".git"]);

/** The repository's top directory (a git work tree's root), else the directory itself. */
const rootOf = (dir: string): string => {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "--show-toplevel"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .replace(/\n$/, "");
  } catch {
    return dir;
  }
};

/** The repository's files as it will commit them: tracked and untracked, not git-ignored. */
const listFiles = (root: string): string[] => {
  try {
    const out = execFileSync(
      "git",
      ["-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name"],
      { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 },
    ).toString();
    return out
      .split("\0")
      .filter((path) => path !== "" && existsSync(join(root, path)))
      .sort();
  } catch {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (SKIP.has(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) out.push(relative(root, path).split(sep).join("/"));
      }
    };
    walk(root);
    return out.sort();
  }
};

type Detected = { sets: MigrationSet[]; described: DetectedMigrations[]; dbt: string[] };

/** The migration histories and dbt projects of the repository, with each history's dialect and why. */
const detect = (paths: string[], read: (path: string) => string, forced: Dialect | undefined): Detected => {
  const sets = resolveMigrationSets(discoverMigrations(paths, DEFAULT_REPO_CONFIG), (path) =>
    paths.includes(path) ? read(path) : undefined,
  );
  const described: DetectedMigrations[] = [];
  const resolved = sets.map((set): MigrationSet => {
    const fromTool = (set.tool === "prisma" || set.tool === "sqitch") && set.needs === undefined;
    const toolFile = set.tool === "prisma" ? "migration_lock.toml" : "sqitch.conf";
    const hasToolFile = paths.some(
      (path) => path.startsWith(`${set.root}/`) && path.endsWith(`/${toolFile}`),
    );
    const guess = forced ? undefined : guessDialect(set.files.map((path) => ({ path, content: read(path) })));
    const dialect = forced ?? (fromTool && hasToolFile ? set.dialect : (guess?.dialect ?? "postgres"));
    described.push({
      path: set.root,
      tool: set.tool,
      files: set.files.length,
      dialect,
      dialectFromTool: !forced && fromTool && hasToolFile,
      dialectSource: forced
        ? "given with --dialect"
        : fromTool && hasToolFile
          ? `read from ${toolFile}`
          : guess
            ? `guessed from ${guess.evidence}: correct it if wrong`
            : "assumed: no other dialect's syntax seen",
    });
    return { ...set, dialect };
  });
  const dbt = discoverDbtProjects(paths, DEFAULT_REPO_CONFIG, read).map((project) => project.root);
  return { sets: resolved, described, dbt };
};

type Found = { dataset: TableSchema; dialect: Dialect; from: string; dir: string };

/** Replays every history and reads every dbt model, as `check` would at the base. */
const datasetsOf = async (
  paths: string[],
  read: (path: string) => string,
  sets: MigrationSet[],
): Promise<Found[]> => {
  const found: Found[] = [];
  for (const set of sets) {
    const result = await replay({
      files: set.files.map((path) => ({ path, content: extractMigrationUp(read(path), set.tool) })),
      dialect: set.dialect,
    });
    for (const dataset of result.state.datasets.values())
      found.push({ dataset, dialect: set.dialect, from: `the migrations in ${set.root}`, dir: set.root });
  }
  for (const project of discoverDbtProjects(paths, DEFAULT_REPO_CONFIG, read)) {
    const files = new Map(project.files.map((path) => [path, read(path)] as const));
    for (const dataset of readDbtModels({ project, files }).datasets)
      found.push({
        dataset,
        dialect: "postgres",
        from: `the dbt project in ${project.root || "."}`,
        dir: project.root || ".",
      });
  }
  return found;
};

/** The dataset a first contract is most useful for: a table with a primary key and many columns. */
const pickDataset = <T extends { dataset: TableSchema }>(found: T[]): T | undefined =>
  [...found].sort(
    (a, b) =>
      Number(b.dataset.kind === "table") - Number(a.dataset.kind === "table") ||
      Number(Boolean(b.dataset.primaryKey)) - Number(Boolean(a.dataset.primaryKey)) ||
      b.dataset.columns.length - a.dataset.columns.length ||
      a.dataset.name.localeCompare(b.dataset.name),
  )[0];

/** `covenant init`: detects what the repository has, writes its configuration and a draft contract. */
export const initRepository = async (options: InitOptions, io: CliIO): Promise<void> => {
  const start = resolve(io.cwd, options.repo);
  if (!existsSync(start) || !statSync(start).isDirectory())
    throw new CovenantError("invalid_input", `--repo ${options.repo} is not a directory`);
  const root = rootOf(start);
  const paths = listFiles(root);
  const cache = new Map<string, string>();
  const read = (path: string): string => {
    let text = cache.get(path);
    if (text === undefined) {
      text = readFileSync(join(root, path), "utf8");
      cache.set(path, text);
    }
    return text;
  };
  const { sets, described, dbt } = detect(paths, read, options.dialect);
  const config = renderRepoConfig({ migrations: described, dbt });
  parseRepoConfig(config); // what init writes must be what check accepts

  const found = await datasetsOf(paths, read, sets);
  const chosen =
    options.dataset === undefined
      ? pickDataset(found)
      : found.find((f) => datasetMatches(options.dataset ?? "", f.dataset.name, f.dialect));
  if (options.dataset !== undefined && !chosen)
    throw new CovenantError(
      "invalid_input",
      `--dataset ${options.dataset}: no such table or dbt model in this repository (known: ${
        found.map((f) => f.dataset.name).join(", ") || "none"
      })`,
    );

  const files: Array<{ path: string; text: string; what: string }> = [
    {
      path: REPO_CONFIG_PATH,
      text: config,
      what:
        described.length + dbt.length === 0
          ? "no migration history or dbt project found: name yours in it"
          : [
              ...described.map((set) => `${set.path} (${set.tool}, ${set.dialect})`),
              ...dbt.map((path) => `dbt project ${path || "."}`),
            ].join("; "),
    },
  ];
  if (chosen) {
    const name = defaultContractName(chosen.dataset.name);
    const text = renderContractSkeleton(chosen.dataset, {
      ...(options.owner ? { owner: options.owner } : {}),
      header: [
        `A draft contract for ${chosen.dataset.name}, written by \`covenant init\` from ${chosen.from}.`,
        "Check every column (type, required), set `owner` to the team that answers for this data and add",
        "quality rules. Covenant does not enforce a draft: when the team agrees, set `status: active`",
        "and an enforcement level (BLOCK fails pull requests that break it). Validate it with",
        `\`covenant validate contracts/${name}.yaml\`.`,
      ],
    });
    if (!parseContract(text, name).ok)
      throw new CovenantError("internal", `the draft contract for ${name} does not validate`);
    files.push({
      path: `contracts/${name}.yaml`,
      text,
      what: `draft contract for ${chosen.dataset.name}, ${chosen.dataset.columns.length} column(s)`,
    });
  }

  const existing = files.filter((file) => existsSync(join(root, file.path)));
  if (existing.length > 0 && !options.force)
    throw new CovenantError(
      "invalid_input",
      `${existing.map((file) => file.path).join(" and ")} already exist${existing.length === 1 ? "s" : ""} in ${root}: nothing was written. Run covenant init --force to overwrite, or move ${existing.length === 1 ? "it" : "them"} away first.`,
    );
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.text);
    io.stdout(`wrote ${file.path}: ${file.what}\n`);
  }
  const others = found.filter((f) => f !== chosen);
  const lines = [
    "",
    "Next:",
    "  1. Review the files (the comments say what each key does), then commit them to the default branch:",
    "     Covenant reads its configuration and the contracts from the base of a change.",
    chosen
      ? `  2. Validate the contract: covenant validate contracts/${defaultContractName(chosen.dataset.name)}.yaml`
      : "  2. Write a contract: covenant infer --dataset TABLE <migrations dir> > contracts/TABLE.yaml",
    "  3. On a branch that changes a migration: covenant check",
  ];
  if (chosen && others.length > 0) {
    const next = others[0];
    const names = others.map((f) => f.dataset.name);
    lines.push(
      `More contracts (also found: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}):`,
      `  covenant infer --dataset ${next?.dataset.name} ${next?.dir} > contracts/${defaultContractName(next?.dataset.name ?? "")}.yaml`,
    );
  }
  io.stdout(`${lines.join("\n")}\n`);
};
