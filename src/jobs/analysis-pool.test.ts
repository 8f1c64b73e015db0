import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type AnalyzeInput, analyze, loadRepoConfig, planAnalysis } from "../core/analyze.ts";
import { CovenantError } from "../core/errors.ts";
import { parseContract } from "../core/model/contract.ts";
import { type AnalysisPool, createAnalysisPool } from "./analysis-pool.ts";

const CONFIG = "migrations:\n  - { path: db/migrations, dialect: postgres }\n";
const CONTRACT = `name: orders
version: 1.0.0
status: active
owner: "@acme/data"
enforcement: BLOCK
dataset: { type: table, name: orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: integer, required: true }
    - { name: email, type: string, required: false }
`;
const BASE: Record<string, string> = {
  ".github/covenant.yml": CONFIG,
  "contracts/orders.yaml": CONTRACT,
  "db/migrations/0001_init.sql": "CREATE TABLE orders (\n  id integer PRIMARY KEY,\n  email text\n);\n",
};
const HEAD = { ...BASE, "db/migrations/0002_drop.sql": "ALTER TABLE orders DROP COLUMN email;\n" };

/** A PR that drops a BLOCK contract's column, with a parsed config and a registered contract crossing too. */
const inputOf = (base: Record<string, string>, head: Record<string, string>): AnalyzeInput => {
  const changedPaths = Object.keys(head).filter((p) => base[p] !== head[p]);
  const config = loadRepoConfig(base[".github/covenant.yml"]);
  const paths = { basePaths: Object.keys(base), headPaths: Object.keys(head), changedPaths };
  const plan = planAnalysis({ ...paths, config });
  const pick = (repo: Record<string, string>, wanted: string[]) =>
    new Map(wanted.flatMap((p) => (repo[p] === undefined ? [] : [[p, repo[p]!] as const])));
  const registered = parseContract(CONTRACT.replace("name: orders", "name: registered"), "registered");
  return {
    ...paths,
    base: pick(base, plan.base),
    head: pick(head, plan.head),
    config,
    registeredContracts: registered.ok ? [{ contract: registered.contract }] : [],
  };
};

const pools: AnalysisPool[] = [];
const poolOf = (threads: number, timeoutMs?: number) => {
  const pool = createAnalysisPool({
    threads,
    logger: pino({ level: "silent" }),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  pools.push(pool);
  return pool;
};

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

describe("analysis pool", () => {
  it("gives in a worker thread the result analyze() gives in-thread", async () => {
    const pool = poolOf(2);
    const input = inputOf(BASE, HEAD);
    const [inWorker, inThread] = await Promise.all([pool.run(input), analyze(input)]);
    expect(pool.workers()).toHaveLength(1);
    expect(inWorker.verdict.conclusion).toBe("failure");
    expect(inWorker.verdict.violations.map((v) => v.rule)).toContain("column-removed");
    expect(inWorker).toEqual(inThread);
  });

  it("sends a base once per thread: later runs on it name it, and one forgotten is sent again", async () => {
    const pool = poolOf(1);
    const input = inputOf(BASE, HEAD);
    const expected = await analyze(input);
    expect(await pool.run(input)).toEqual(expected);
    // The same base objects again: the thread answers from the copy it kept.
    expect(await pool.run({ ...input, head: new Map(input.head) })).toEqual(expected);
    // Enough other bases for the thread to forget the first one, which is then sent again.
    for (let n = 0; n < 5; n++) {
      const other = inputOf({ ...BASE, [`docs/${n}.md`]: "x" }, HEAD);
      expect((await pool.run(other)).verdict.conclusion).toBe("failure");
    }
    expect(await pool.run(input)).toEqual(expected);
    expect(pool.workers()).toHaveLength(1);
  });

  it("plans in a worker thread as planAnalysis() does in-thread, and without threads too", async () => {
    const config = loadRepoConfig(CONFIG);
    const input = {
      basePaths: Object.keys(BASE),
      headPaths: Object.keys(HEAD),
      changedPaths: ["db/migrations/0002_drop.sql"],
      config,
    };
    const expected = planAnalysis(input);
    expect(expected.head).toContain("db/migrations/0002_drop.sql");
    const pool = poolOf(1);
    expect(await pool.plan(input)).toEqual(expected);
    expect(pool.workers()).toHaveLength(1);
    expect(await poolOf(0).plan(input)).toEqual(expected);
  });

  it("runs concurrent analyses on up to `threads` workers", async () => {
    const pool = poolOf(2);
    const input = inputOf(BASE, HEAD);
    const results = await Promise.all([1, 2, 3, 4].map(() => pool.run(input)));
    expect(new Set(results.map((r) => r.verdict.conclusion))).toEqual(new Set(["failure"]));
    expect(pool.workers()).toHaveLength(2);
  });

  it("rejects the one run whose analysis throws, with the error's code, and keeps working", async () => {
    const pool = poolOf(1);
    const broken = { ...inputOf(BASE, HEAD), config: undefined };
    broken.base = new Map([...broken.base, [".github/covenant.yml", "migrations: [ {"]]);
    const failed = await pool.run(broken).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(CovenantError);
    expect((failed as CovenantError).code).toBe("invalid_input");
    expect((failed as CovenantError).message).toContain(".github/covenant.yml");
    expect((await pool.run(inputOf(BASE, HEAD))).verdict.conclusion).toBe("failure");
  });

  it("rejects the run of a worker that dies, and replaces the worker", async () => {
    const pool = poolOf(1);
    await pool.run(inputOf(BASE, HEAD));
    const [first] = pool.workers();
    const running = pool.run(inputOf(BASE, HEAD));
    await first!.terminate();
    await expect(running).rejects.toThrow(/analysis worker stopped/);
    expect((await pool.run(inputOf(BASE, HEAD))).verdict.conclusion).toBe("failure");
    const [second] = pool.workers();
    expect(second).toBeDefined();
    expect(second!.threadId).not.toBe(first!.threadId);
  });

  it("stops an analysis that runs past its deadline and rejects it with the reason", async () => {
    // A worker's first analysis loads the parsers: far longer than 20 ms.
    const pool = poolOf(1, 20);
    const running = pool.run(inputOf(BASE, HEAD));
    const [first] = pool.workers();
    await expect(running).rejects.toThrow(/did not finish within 20 ms and was stopped/);
    await expect.poll(() => pool.workers().includes(first!)).toBe(false);
  });

  it("rejects an input that cannot cross to a thread instead of hanging", async () => {
    const pool = poolOf(1);
    const input = {
      ...inputOf(BASE, HEAD),
      waivers: [{ toString: () => "not data" }],
    } as unknown as AnalyzeInput;
    await expect(pool.run(input)).rejects.toThrow();
  });

  it("with 0 threads analyses in-thread", async () => {
    const pool = poolOf(0);
    expect((await pool.run(inputOf(BASE, HEAD))).verdict.conclusion).toBe("failure");
    expect(pool.workers()).toHaveLength(0);
  });
});
