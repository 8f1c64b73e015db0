// POST /contracts/{id}/validate over real HTTP keeps every promise of the contract, for rows sent
// in the request and for registered sources of every kind: the primary key (whole and unique); a
// sql rule reading a column the data lacks is not evaluated, naming it, while the others run; a
// char(3) is judged alike in rows and every source; a failed schema result is never a warning.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSourceHosts } from "../../src/sources/source-hosts.ts";
import { caller, createTenant, startApiOn } from "../helpers/api-server.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import {
  createPromisePgDatabase,
  FILE_KINDS,
  fileName,
  PROMISE_CONTRACTS,
  writePromiseFiles,
} from "../helpers/promise-data.ts";
import { LINE_ROWS } from "../helpers/validation-data.ts";

type Result = { rule_id: string; status: string; failed_rows: number; sample_values: unknown[] };

let api: Awaited<ReturnType<typeof startApiOn>>;
let call: ReturnType<typeof caller>;
let base: string;
let pgSource: TestPgDatabase;
const sources: Record<string, string> = {};
const contracts: Record<string, string> = {};

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "covenant-api-promises-"));
  pgSource = await createPromisePgDatabase("covenant_api_promises");
  api = await startApiOn("sqlite", {
    sources: { filesRoot: base, env: {}, hosts: parseSourceHosts("127.0.0.1") },
  });
  const tenant = await createTenant(api.db, "acme");
  call = caller(api.base, () => tenant.manage);
  const files = join(base, tenant.installation.id);
  mkdirSync(files);
  await writePromiseFiles(files);
  for (const kind of FILE_KINDS) {
    for (const [data, key] of [
      ["lines", kind],
      ["prices", `prices-${kind}`],
    ] as const) {
      const created = await call("POST", "/sources", {
        name: `${data}-${kind}`,
        location: fileName(data, kind),
      });
      expect(created.status, created.text).toBe(201);
      sources[key] = created.body.id;
    }
  }
  const pg = await call("POST", "/sources", { name: "lines-postgres", location: pgSource.url });
  expect(pg.status, pg.text).toBe(201);
  sources.postgres = pg.body.id;
  for (const [name, text] of Object.entries(PROMISE_CONTRACTS)) {
    const created = await call("POST", "/contracts", {
      contents: text.replace(/^name: \w+/, `name: contract_${name.replace("-", "_")}`),
    });
    expect(created.status, created.text).toBe(201);
    contracts[name] = created.body.id;
  }
}, 120_000);

afterAll(async () => {
  await api?.close();
  await pgSource?.drop();
  if (base) rmSync(base, { recursive: true, force: true });
});

const byRule = (results: Result[]) => Object.fromEntries(results.map((r) => [r.rule_id, r]));

describe("POST /contracts/{id}/validate: the primary key (real HTTP)", { timeout: 120_000 }, () => {
  it("fails repeated and missing keys in rows sent in the request, and records violations", async () => {
    const rows = LINE_ROWS.map(([order_id, line, sku]) => ({ order_id, line, sku }));
    const run = await call("POST", `/contracts/${contracts.lines}/validate`, { rows });
    expect(run.status, run.text).toBe(201);
    expect(run.body.status).toBe("failed");
    const results = byRule(run.body.results);
    expect(results["primary_key:unique"]).toMatchObject({
      status: "failed",
      failed_rows: 3,
      sample_values: [
        { order_id: 1, line: 2 },
        { order_id: 2, line: 1 },
      ],
    });
    expect(results["primary_key:not_null"]).toMatchObject({
      status: "failed",
      failed_rows: 1,
      sample_values: [{ order_id: null, line: 3 }],
    });
    const recorded = run.body.violations.filter((v: { rule: string }) => v.rule === "data-primary-key");
    expect(recorded).toHaveLength(2);
    const repeated = recorded.find((v: { message: string }) => v.message.includes("repeat"));
    const stored = await call("GET", `/contract-violations/${repeated.id}`);
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body.sample_values).toEqual([
      { order_id: 1, line: 2 },
      { order_id: 2, line: 1 },
    ]);

    // Rows that keep the key pass, and resolve what the failing run recorded.
    const clean = await call("POST", `/contracts/${contracts.lines}/validate`, {
      rows: rows.slice(0, 2),
    });
    expect(clean.status, clean.text).toBe(201);
    expect(clean.body.status).toBe("passed");
    expect(byRule(clean.body.results)["primary_key:unique"]?.status).toBe("passed");
    expect((await call("GET", `/contract-violations/${repeated.id}`)).body.status).toBe("resolved");
  });

  it.each(["sqlite", "csv", "jsonl", "parquet", "postgres"])(
    "fails repeated and missing keys in a %s source",
    async (kind) => {
      const run = await call("POST", `/contracts/${contracts["order-key"]}/validate`, {
        source_id: sources[kind],
      });
      expect(run.status, run.text).toBe(201);
      const results = byRule(run.body.results);
      expect(results["primary_key:unique"]).toMatchObject({
        status: "failed",
        failed_rows: 4,
        sample_values: [1, 2],
      });
      expect(results["primary_key:not_null"]).toMatchObject({ status: "failed", failed_rows: 1 });
      expect(run.body.violations.filter((v: { rule: string }) => v.rule === "data-primary-key")).toHaveLength(
        2,
      );
    },
  );
});

describe("POST /contracts/{id}/validate: sql rules on columns the data lacks (real HTTP)", {
  timeout: 120_000,
}, () => {
  it.each(["sqlite", "csv", "jsonl", "parquet", "postgres"])(
    "answers 201 for a %s source with them not evaluated, naming the column, and the others run",
    async (kind) => {
      const run = await call("POST", `/contracts/${contracts.ghosts}/validate`, { source_id: sources[kind] });
      expect(run.status, run.text).toBe(201);
      expect(run.text).not.toMatch(/Binder Error|no such column|does not exist/);
      const results = byRule(run.body.results);
      for (const id of ["ghost_expression", "ghost_query"])
        expect(results[id]).toMatchObject({
          status: "not_evaluated",
          reason: expect.stringContaining("reads column discount, which"),
        });
      expect(results.early_lines).toMatchObject({ status: "failed", failed_rows: 1 });
      expect(run.body.rules_not_evaluated).toBe(2);
      // One violation for the rule that failed; none for those not evaluated.
      expect(run.body.violations.filter((v: { rule: string }) => v.rule === "data-sql")).toHaveLength(1);
    },
  );
});

describe("POST /contracts/{id}/validate: types judged alike, failures never warnings (real HTTP)", {
  timeout: 120_000,
}, () => {
  const failedIds = (body: { results: Result[] }) =>
    body.results.filter((r) => r.status === "failed").map((r) => r.rule_id);

  it.each(["prices-sqlite", "prices-csv", "prices-jsonl", "prices-parquet", "postgres"])(
    "passes char(3) values kept in the %s source",
    async (source) => {
      const run = await call("POST", `/contracts/${contracts.prices}/validate`, {
        source_id: sources[source],
        ...(source === "postgres" ? { table: "public.prices" } : {}),
      });
      expect(run.status, run.text).toBe(201);
      expect(failedIds(run.body)).toEqual([]);
      expect(run.body.schema.status).toBe("pass");
    },
  );

  it("judges rows sent in the request the same way: a value longer than char(3) fails the type rule", async () => {
    const ok = await call("POST", `/contracts/${contracts.prices}/validate`, {
      rows: [
        { id: 1, currency: "EUR" },
        { id: 2, currency: "USD" },
      ],
    });
    expect(ok.status, ok.text).toBe(201);
    expect(failedIds(ok.body)).toEqual([]);
    const long = await call("POST", `/contracts/${contracts.prices}/validate`, {
      rows: [
        { id: 1, currency: "EUR" },
        { id: 3, currency: "EURO" },
      ],
    });
    expect(failedIds(long.body)).toEqual(["column:currency:type"]);
    expect(long.body.results.find((r: Result) => r.rule_id === "column:currency:type")).toMatchObject({
      sample_values: ["EURO"],
      message: "1 row(s) have a currency value that is not a string of at most 3 characters (char(3))",
    });
  });

  it("calls a run whose schema result failed breaking, even at a low score", async () => {
    const run = await call("POST", `/contracts/${contracts["prices-tax"]}/validate`, {
      source_id: sources["prices-sqlite"],
    });
    expect(run.status, run.text).toBe(201);
    expect(failedIds(run.body)).toEqual(["schema:contract-column-missing:tax"]);
    expect(run.body.schema).toMatchObject({ status: "breaking", score: 20 });
    const stored = await call("GET", `/validation-runs/${run.body.id}`);
    expect(stored.body.schema.status).toBe("breaking");
  });
});
