// The package as a user installs it: the tarball `npm pack` makes, installed offline into an empty
// directory (see helpers/packed-install.ts), then `npx covenant` run there: --help, check on a
// real git repository, and serve answering /healthz on SQLite.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { readDirectoryFiles } from "./helpers/github-repo-fixture.ts";
import {
  cleanEnv,
  installOffline,
  manifest,
  NO_NETWORK,
  type Packed,
  packInto,
} from "./helpers/packed-install.ts";

const SHOP = join(import.meta.dirname, "../examples/shop");
const own = manifest();

describe("the package, packed and installed offline into an empty directory", () => {
  let dir: string;
  let project: string;
  let packed: Packed;
  let repo: GitRepo;

  const npx = (args: string[], cwd = project) =>
    spawnSync("npx", ["covenant", ...args], {
      cwd,
      env: cleanEnv({ ...NO_NETWORK, NO_COLOR: "1" }),
      encoding: "utf8",
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "covenant-pack-"));
    project = join(dir, "project");
    mkdirSync(project);
    packed = packInto(dir);
    installOffline(project, packed);
    repo = createGitRepo("covenant-pack-shop-");
    repo.commit(readDirectoryFiles(SHOP), "shop");
    repo.git("switch", "-q", "-c", "drop-currency");
    repo.commit(
      { "db/migrations/0006_drop_currency.up.sql": "ALTER TABLE orders DROP COLUMN currency;\n" },
      "drop currency",
    );
  }, 600_000);

  afterAll(() => {
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the tarball holds the compiled program, the schema and its migrations, and no sources or tests", () => {
    const files = new Set(packed.files);
    for (const needed of [
      "package.json",
      "bin/covenant.js",
      "dist/.build-stamp",
      "dist/cli/main.js",
      "dist/main.js",
      "prisma/schema.prisma",
      "app.yml",
      "README.md",
    ])
      expect(files, needed).toContain(needed);
    for (const provider of ["sqlite", "postgres"])
      expect(
        packed.files.some((f) => f.startsWith(`prisma/migrations/${provider}/`) && f.endsWith(".sql")),
      ).toBe(true);
    const unwanted = packed.files.filter(
      (f) =>
        /^(src|test|scripts|bench|examples|\.github|\.ci|node_modules|data)\//.test(f) ||
        /\.(map|ts|tsx)$/.test(f) ||
        /\.test\.js$/.test(f) ||
        /(^|\/)\.(env|npmrc)$/.test(f),
    );
    expect(unwanted).toEqual([]);
    // Small enough that shipping it is never a question (it was 0.43 MB when this was written).
    expect(packed.size).toBeLessThan(2 * 1024 * 1024);
  });

  test("every module the installed program can load is in the package, and every package it imports is a dependency", async () => {
    const installed = join(project, "node_modules", own.name);
    const entries = packed.files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"));
    // Bundling follows every relative import, dynamic ones included: a file missing from the
    // tarball fails the build. Packages stay external and are listed in the metafile.
    const result = await build({
      entryPoints: entries.map((f) => join(installed, f)),
      bundle: true,
      write: false,
      outdir: join(dir, "bundle-check"),
      platform: "node",
      format: "esm",
      packages: "external",
      metafile: true,
      logLevel: "silent",
    });
    const imported = new Set<string>();
    for (const input of Object.values(result.metafile.inputs))
      for (const i of input.imports)
        if (i.external)
          imported.add(
            i.path.startsWith("@") ? i.path.split("/").slice(0, 2).join("/") : i.path.split("/")[0]!,
          );
    const builtins = new Set(builtinModules);
    const notDependencies = [...imported].filter(
      (name) => !name.startsWith("node:") && !builtins.has(name) && !(name in own.dependencies),
    );
    expect(notDependencies).toEqual([]);
    expect(imported).toContain("better-sqlite3");
  });

  test("npx covenant --help and --version answer from the installed package", () => {
    const help = npx(["--help"]);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: covenant/);
    for (const command of ["check", "serve", "validate"]) expect(help.stdout).toContain(command);
    const version = npx(["--version"]);
    expect(version.stdout).toBe(`${own.version}\n`);
  });

  test("npx covenant check judges a change in a git repository (exit 1, the documented JSON)", () => {
    const check = npx(["check", "--repo", repo.dir, "--base", "main", "--format", "json"]);
    expect(check.status, check.stderr).toBe(1);
    const verdict = JSON.parse(check.stdout) as {
      conclusion: string;
      score: number;
      violations: Array<Record<string, unknown>>;
    };
    expect(verdict.conclusion).toBe("failure");
    expect(verdict.score).toBeGreaterThanOrEqual(40);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({
        rule: "column-removed",
        contract: "orders",
        dataset: "public.orders",
        column: "currency",
        file: "db/migrations/0006_drop_currency.up.sql",
        line: 1,
      }),
    );
    // And from inside the repository, the way the README's plain-shell recipe runs it.
    const text = spawnSync(join(project, "node_modules", ".bin", "covenant"), ["check", "--base", "main"], {
      cwd: repo.dir,
      env: cleanEnv({ ...NO_NETWORK, NO_COLOR: "1" }),
      encoding: "utf8",
    });
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/error column-removed/);
  });

  test("npx covenant serve migrates a new SQLite database and answers /healthz", async () => {
    // npx finds the installed bin from any folder of the project.
    const workdir = join(project, "server");
    mkdirSync(workdir);
    // Its own process group, so that stopping it stops npx and the node process npx starts.
    const server: ChildProcess = spawn("npx", ["covenant", "serve"], {
      cwd: workdir,
      detached: true,
      env: cleanEnv({
        ...NO_NETWORK,
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: "file:./data/covenant.db",
        LOG_LEVEL: "warn",
        JOB_WORKERS: "1",
        ANALYSIS_THREADS: "0",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    server.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 120_000);
        const look = () => {
          const match = /Covenant listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        };
        server.stdout?.on("data", look);
        server.stderr?.on("data", look);
        server.on("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`serve exited (${code}):\n${output}`));
        });
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", database: "sqlite" });
      expect(existsSync(join(workdir, "data", "covenant.db"))).toBe(true);
    } finally {
      if (server.pid && server.exitCode === null) {
        const exited = new Promise((resolve) => server.on("exit", resolve));
        process.kill(-server.pid, "SIGTERM");
        await exited;
      }
    }
  }, 180_000);
});
