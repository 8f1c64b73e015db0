// What a command loads: the heavy packages stay off the paths that do not need them (bench/start.ts
// has the timings; this proves which modules load, which timings cannot). Every module the real
// process loads is written down by a preload: ES modules through a loader hook, CommonJS ones (also
// those required at run time, like node-sql-parser's dialect builds) from the require cache at exit.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const scratch = mkdtempSync(join(tmpdir(), "covenant-start-"));
const hooks = join(scratch, "hooks.mjs");
const preload = join(scratch, "preload.mjs");
writeFileSync(
  hooks,
  `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.MODULE_LOG, url + "\\n");
  return next(url, context);
}
`,
);
writeFileSync(
  preload,
  `import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
register(${JSON.stringify(pathToFileURL(hooks).href)});
process.on("exit", () => appendFileSync(process.env.MODULE_LOG, Object.keys(Module._cache).join("\\n") + "\\n"));
`,
);

/** Runs covenant with the preload; the paths and URLs of every module it loaded. */
const modulesLoadedBy = (args: string[], cwd: string): string[] => {
  const log = join(scratch, `modules-${Math.random().toString(36).slice(2)}.log`);
  const run = spawnSync(process.execPath, ["--import", pathToFileURL(preload).href, BIN, ...args], {
    cwd,
    env: { ...process.env, MODULE_LOG: log, NO_COLOR: "1" },
    encoding: "utf8",
  });
  expect(run.status, run.stderr).not.toBeNull();
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
};

/** A package, loaded from node_modules or from the build's one-file copy of it (dist/vendor). */
const loads = (modules: string[], pkg: string): boolean =>
  modules.some(
    (m) =>
      m.includes(`/node_modules/${pkg}/`) ||
      m.includes(`/dist/vendor/${pkg.replace(/^@/, "").replace("/", "-")}.js`),
  );

const HEAVY = [
  "zod",
  "yaml",
  "semver",
  "re2js",
  "libpg-query",
  "node-sql-parser",
  "pg",
  "probot",
  "pino",
  "@prisma/client",
  "@duckdb/node-api",
  "better-sqlite3",
];

let repo: GitRepo;

beforeAll(() => {
  repo = createGitRepo("covenant-start-repo-");
  repo.commit(
    {
      "db/migrations/0001_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n",
      "analytics/dbt_project.yml": 'name: shop\nversion: "1.0.0"\nmodel-paths: ["models"]\n',
      "analytics/models/stg_orders.sql": "select id, total from raw.orders\n",
      "analytics/models/orders.sql": "select id, total from {{ ref('stg_orders') }}\n",
    },
    "postgres-only models",
  );
});

afterAll(() => {
  repo.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe("what a command loads", () => {
  test("--help loads the command definitions only: none of the engine's packages", () => {
    const modules = modulesLoadedBy(["--help"], repo.dir);
    expect(loads(modules, "commander")).toBe(true); // the log sees packages at all
    expect(HEAVY.filter((pkg) => loads(modules, pkg))).toEqual([]);
  });

  test("models the Postgres parser reads never load node-sql-parser; one it cannot read loads that dialect's build alone", () => {
    const postgres = modulesLoadedBy(["impact", "orders", "--format", "json"], repo.dir);
    expect(loads(postgres, "libpg-query")).toBe(true);
    expect(loads(postgres, "node-sql-parser")).toBe(false);

    // Backquoted names are not Postgres: the model falls through to the warehouse dialects, BigQuery first.
    repo.commit({ "analytics/models/orders.sql": "select `id`, total from {{ ref('stg_orders') }}\n" }, "bq");
    const bigquery = modulesLoadedBy(["impact", "orders", "--format", "json"], repo.dir);
    const sqlParser = bigquery.filter((m) => m.includes("/node_modules/node-sql-parser/"));
    expect(sqlParser.map((m) => m.slice(m.indexOf("/node-sql-parser/")))).toEqual([
      "/node-sql-parser/build/bigquery.js",
    ]);
    // And the lineage through it is still read: orders depends on stg_orders.
    const report = JSON.parse(
      execFileSync(process.execPath, [BIN, "impact", "orders", "--format", "json"], {
        cwd: repo.dir,
        encoding: "utf8",
      }),
    );
    expect(JSON.stringify(report)).toContain("stg_orders");
  });
});
