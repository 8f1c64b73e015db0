// The package as users get it: `npm pack`, then the tarball installed into an empty directory
// without the network. npm runs offline on its own cache (the one `npm ci` of this repository
// filled), from a lockfile derived from this repository's, so the dependencies are exactly the
// tested ones. better-sqlite3 is native: its install script (prebuild-install) is given the
// binary this repository's `npm ci` built or downloaded as a local prebuild, the way a mirror
// serves one, instead of fetching it from GitHub.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

type LockEntry = { dev?: boolean; devOptional?: boolean; [field: string]: unknown };
type Lockfile = { packages: Record<string, LockEntry> };
type Manifest = {
  name: string;
  version: string;
  license?: string;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
};

export type Packed = {
  /** The tarball's absolute path. */
  tarball: string;
  /** Its size in bytes, and unpacked. */
  size: number;
  unpackedSize: number;
  /** Paths inside the package (no `package/` prefix). */
  files: string[];
  integrity: string;
};

export const manifest = (): Manifest => JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Fails with what to run when dist/ is missing or older than a source file (the tarball ships dist/). */
export const assertBuilt = (): void => {
  const stamp = join(root, "dist", ".build-stamp");
  const what = "the package ships dist/; run `npm run build` first";
  if (!existsSync(stamp)) throw new Error(`dist/ has not been built: ${what}`);
  const built = statSync(stamp).mtimeMs;
  for (const entry of readdirSync(join(root, "src"), { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && statSync(path).mtimeMs > built)
      throw new Error(`dist/ is older than ${relative(root, path)}: ${what}`);
  }
};

/** Environment of a child process without what `npm test` put there for this repository. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_/i.test(key) && key !== "INIT_CWD" && key !== "NODE_OPTIONS") env[key] = value;
  return { ...env, ...extra };
};

/** Any attempt to reach the network fails at once instead of quietly succeeding. */
export const NO_NETWORK = {
  HTTP_PROXY: "http://127.0.0.1:9",
  HTTPS_PROXY: "http://127.0.0.1:9",
  http_proxy: "http://127.0.0.1:9",
  https_proxy: "http://127.0.0.1:9",
  npm_config_proxy: "http://127.0.0.1:9",
  npm_config_https_proxy: "http://127.0.0.1:9",
  npm_config_offline: "true",
};

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) => {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
};

/** `npm pack` of this repository into `dir`, without its lifecycle scripts (dist/ must be built). */
export const packInto = (dir: string): Packed => {
  assertBuilt();
  const result = run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
    root,
    cleanEnv(NO_NETWORK),
  );
  if (result.status !== 0) throw new Error(`npm pack failed:\n${result.stderr}`);
  const [pack] = JSON.parse(result.stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    integrity: string;
    files: Array<{ path: string }>;
  }>;
  if (!pack) throw new Error(`npm pack printed no package:\n${result.stdout}`);
  return {
    tarball: join(dir, pack.filename),
    size: pack.size,
    unpackedSize: pack.unpackedSize,
    integrity: pack.integrity,
    files: pack.files.map((f) => f.path),
  };
};

/**
 * A project in `dir` depending on the tarball, with a lockfile: the package itself as a `file:`
 * tarball and, for its dependencies, this repository's locked production entries (dev-only ones
 * dropped), so an offline install needs nothing `npm ci` here did not already fetch.
 */
const writeProject = (dir: string, packed: Packed): void => {
  const own = manifest();
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as Lockfile;
  const spec = `file:${relative(dir, packed.tarball)}`;
  const packages: Record<string, unknown> = {
    "": { dependencies: { [own.name]: spec } },
    [`node_modules/${own.name}`]: {
      version: own.version,
      resolved: spec,
      integrity: packed.integrity,
      ...(own.license ? { license: own.license } : {}),
      dependencies: own.dependencies,
      ...(own.bin ? { bin: own.bin } : {}),
      ...(own.engines ? { engines: own.engines } : {}),
    },
  };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path !== "" && !entry.dev && !entry.devOptional) packages[path] = entry;
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "uses-covenant", private: true, dependencies: { [own.name]: spec } }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ name: "uses-covenant", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
};

/**
 * better-sqlite3's compiled addon from this repository's install, packed under the name
 * prebuild-install looks for, in a folder `.prebuild-installrc` (read by prebuild-install from
 * the installing project's directory) names as its local prebuilds.
 */
const offerSqlitePrebuild = (dir: string): void => {
  const require = createRequire(join(root, "package.json"));
  const pkgDir = dirname(require.resolve("better-sqlite3/package.json"));
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };
  const addon = join(pkgDir, "build", "Release", "better_sqlite3.node");
  if (!existsSync(addon)) throw new Error(`${addon} is missing: run npm ci (it builds better-sqlite3)`);
  const prebuilds = join(dir, "prebuilds");
  mkdirSync(prebuilds, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = run(
    "tar",
    ["-czf", join(prebuilds, name), "-C", pkgDir, "build/Release/better_sqlite3.node"],
    dir,
    {
      ...process.env,
    },
  );
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  writeFileSync(join(dir, ".prebuild-installrc"), `local-prebuilds=${prebuilds}\n`);
};

/** npm's cache as this repository's npm configuration names it. */
export const npmCache = (): string => {
  const result = run("npm", ["config", "get", "cache"], root, cleanEnv());
  if (result.status !== 0) throw new Error(`npm config get cache failed: ${result.stderr}`);
  return result.stdout.trim();
};

/** Installs the packed tarball into the empty directory `dir` with `npm ci --offline`. */
export const installOffline = (dir: string, packed: Packed): { ms: number } => {
  writeProject(dir, packed);
  offerSqlitePrebuild(dir);
  const cache = npmCache();
  const start = performance.now();
  const result = run(
    "npm",
    ["ci", "--offline", "--cache", cache, "--no-audit", "--no-fund", "--loglevel=error"],
    dir,
    cleanEnv(NO_NETWORK),
  );
  if (result.status !== 0) {
    const hint = /ENOTCACHED/.test(result.stderr)
      ? `\nnpm's cache (${cache}) lacks a package of the lockfile: run npm ci in the repository first (it fills the cache)`
      : "";
    throw new Error(
      `npm ci --offline of the packed package failed:\n${result.stdout}${result.stderr}${hint}`,
    );
  }
  return { ms: performance.now() - start };
};
