/**
 * `npm run bench:start`: how long the installed `covenant` command takes, as a user waits for it
 * (the whole process, from spawn to exit, or to the first answer of /healthz for `serve`).
 * Median of RUNS (default 10) of each:
 *   - `covenant --version` and `covenant --help`                       goal ≤ 0.3 s
 *   - `covenant check main...feature` on a git repository of examples/shop,
 *     whose branch drops a contracted column                           goal ≤ 1 s
 *   - `covenant serve` on SQLite until GET /healthz answers 200, on a fresh database (created and
 *     migrated by that start) and on an existing one                   goal ≤ 2 s
 * BIN=path/to/covenant.js measures another build (default: bin/covenant.js of this checkout).
 * Each line also gives the median CPU time (user + system, from /proc in 10 ms ticks; `serve` up to
 * its first answer): on a loaded machine it is the steadier figure, the wall time what a user waits.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const BIN = resolve(process.env.BIN ?? join(root, "bin", "covenant.js"));
const RUNS = Number(process.env.RUNS ?? 10);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const scratch = mkdtempSync(join(tmpdir(), "covenant-bench-start-"));
// No .env of this checkout, no inherited DATABASE_URL: every run sees only what it is given.
const baseEnv = {
  PATH: process.env.PATH ?? "",
  HOME: scratch,
  LOG_LEVEL: "warn",
  NO_COLOR: "1",
} as NodeJS.ProcessEnv;

/** One run: wall-clock seconds, and CPU seconds where /proc tells (Linux). */
type Sample = { wall: number; cpu?: number };

/** User + system CPU seconds from a /proc stat line: its own (fields 14, 15) or its waited-for children's (16, 17). */
const cpuOf = (statPath: string, children: boolean): number | undefined => {
  try {
    const stat = readFileSync(statPath, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const [user, system] = children ? [fields[13], fields[14]] : [fields[11], fields[12]];
    return (Number(user) + Number(system)) / 100;
  } catch {
    return undefined;
  }
};

/** Runs the command to completion; resolves with its wall-clock and CPU time in seconds. */
const timeRun = (args: string[], cwd: string, okCodes: number[]): Promise<Sample> =>
  new Promise((done, fail) => {
    const c0 = cpuOf("/proc/self/stat", true);
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: baseEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      const wall = (performance.now() - t0) / 1000;
      const c1 = cpuOf("/proc/self/stat", true);
      const cpu = c0 === undefined || c1 === undefined ? undefined : c1 - c0;
      if (okCodes.includes(code ?? -1)) done({ wall, ...(cpu === undefined ? {} : { cpu }) });
      else fail(new Error(`covenant ${args.join(" ")} exited ${code}: ${err}`));
    });
  });

const freePort = (): Promise<number> =>
  new Promise((done) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });

/** Spawns `serve` and polls /healthz every 10 ms; seconds from spawn to the first 200 (and its CPU until then). */
const timeServe = async (dbFile: string): Promise<Sample> => {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, "serve", "--port", String(port)], {
    cwd: scratch,
    env: { ...baseEnv, HOST: "127.0.0.1", DATABASE_URL: `file:${dbFile}`, JOB_WORKERS: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) {
        const wall = (performance.now() - t0) / 1000;
        const cpu = cpuOf(`/proc/${child.pid}/stat`, false);
        return { wall, ...(cpu === undefined ? {} : { cpu }) };
      }
      if (performance.now() - t0 > 60_000)
        throw new Error(`serve did not answer /healthz within 60 s: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await stop(child);
  }
};

/** examples/shop as a git repository: main as shipped, `feature` drops the contracted orders.currency. */
const shopRepo = (): string => {
  const dir = join(scratch, "shop");
  cpSync(join(root, "examples", "shop"), dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], {
      cwd: dir,
      stdio: "pipe",
    });
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "shop");
  git("checkout", "-q", "-b", "feature");
  writeFileSync(
    join(dir, "db", "migrations", "0005_drop_currency.up.sql"),
    "ALTER TABLE orders DROP COLUMN currency;\n",
  );
  git("add", ".");
  git("commit", "-q", "-m", "drop currency");
  return dir;
};

const series = async (what: string, goal: number, run: (i: number) => Promise<Sample>) => {
  await run(-1); // warm-up: the OS file cache, as on any second start
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await run(i));
  const times = samples.map((s) => s.wall);
  const cpus = samples.flatMap((s) => (s.cpu === undefined ? [] : [s.cpu]));
  const m = median(times);
  const verdict = m <= goal ? "ok" : "OVER";
  const cpu = cpus.length === samples.length ? `, CPU ${median(cpus).toFixed(2)} s` : "";
  console.log(
    `${what.padEnd(38)} median ${m.toFixed(3)} s${cpu}  (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)}; goal ≤ ${goal} s: ${verdict})`,
  );
};

try {
  console.log(`covenant start times: ${BIN}, median of ${RUNS} (node ${process.version})`);
  await series("covenant --version", 0.3, () => timeRun(["--version"], scratch, [0]));
  await series("covenant --help", 0.3, () => timeRun(["--help"], scratch, [0]));
  const shop = shopRepo();
  // Exit 1: the branch breaks a BLOCK contract, as it should.
  await series("covenant check (examples/shop)", 1, () => timeRun(["check", "main...feature"], shop, [1]));
  await series("covenant serve → /healthz, new db", 2, (i) => timeServe(join(scratch, `fresh-${i}.db`)));
  const existing = join(scratch, "existing.db");
  await series("covenant serve → /healthz, existing db", 2, () => timeServe(existing));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
