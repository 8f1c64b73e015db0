import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { createContract } from "../../src/db/contracts.ts";
import { findInstallationByLogin } from "../../src/db/installations.ts";
import { createScan } from "../../src/db/scans.ts";
import { reserveApiTestDatabase } from "../helpers/api-db.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import { runCli } from "../helpers/run-cli.ts";
import {
  BROKEN_ORDERS,
  makePgSource,
  makeSourceFiles,
  type SourceFiles,
} from "../helpers/source-fixtures.ts";

const PASSWORD = "cli-Pw-4410";
// The CLI runs while nothing else holds the database (see keys-cli.test.ts).
describe.each(["sqlite", "postgres"] as const)("covenant sources on %s", (kind) => {
  let database: { url: string; drop: () => Promise<void> };
  let files: SourceFiles;
  let pgSource: TestPgDatabase;
  let env: Record<string, string | undefined>;
  let warehouseVariable: string;

  beforeAll(async () => {
    database = await reserveApiTestDatabase(kind);
    files = makeSourceFiles();
    pgSource = await makePgSource(BROKEN_ORDERS);
    env = { DATABASE_URL: database.url, SOURCE_FILES_ROOT: files.root, SOURCE_HOSTS: "127.0.0.1" };
    // What an operator does first: ask where the installation's variables and files go.
    const where = await runCli(env, ["sources", "where"]);
    expect(where.code, where.stderr).toBe(0);
    const [, prefix] = /variables: (COVENANT_SOURCE_[A-Z0-9]+__)<NAME>/.exec(where.stdout) ?? [];
    const [, dir] = /files: (\S+)/.exec(where.stdout) ?? [];
    expect(prefix).toBeDefined();
    expect(dir).toBe(join(files.root, dir?.split("/").at(-1) ?? ""));
    warehouseVariable = `${prefix}WAREHOUSE`;
    env[warehouseVariable] = pgSource.urlWithPassword(PASSWORD);
    files.forInstallation(dir?.split("/").at(-1) as string);
  });
  afterAll(async () => {
    await database?.drop();
    await pgSource?.drop();
    files?.cleanup();
  });

  it("adds, lists and removes sources without ever printing a password", async () => {
    const shop = await runCli(env, ["sources", "add", "shop", "--location", "shop.db"]);
    expect(shop.code, shop.stderr).toBe(0);
    expect(shop.stdout).toMatch(/^c[a-z0-9]+\n$/);
    expect(shop.stderr).toContain("sqlite");
    expect(shop.stderr).toContain("main.orders");

    const warehouse = await runCli(env, ["sources", "add", "warehouse", "--location-env", warehouseVariable]);
    expect(warehouse.code, warehouse.stderr).toBe(0);

    const refused = await runCli(env, [
      "sources",
      "add",
      "pw",
      "--location",
      pgSource.urlWithPassword(PASSWORD),
    ]);
    expect(refused.code).toBe(2);
    // Written for the command line: its flags, not the API's field names, and said once.
    expect(refused.stderr).toContain("register the source with --location-env instead");
    expect(refused.stderr).not.toMatch(/location_env|through the API/);
    expect(refused.stderr.split("contains a password")).toHaveLength(2);
    for (const args of [[], ["--location-env", "WAREHOUSE"]]) {
      const wrong = await runCli(env, ["sources", "add", "wrong", ...args]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--location-env/);
      expect(wrong.stderr).toContain("covenant sources where");
      expect(wrong.stderr).not.toMatch(/location_env|`location`/);
      expect(wrong.stderr.trim().split("\n")).toHaveLength(1);
    }
    const escaped = await runCli(env, ["sources", "add", "escape", "--location", "escape.db"]);
    expect(escaped.code).toBe(2);
    expect(escaped.stderr).toContain("outside this installation's data source directory");
    const duplicate = await runCli(env, ["sources", "add", "shop", "--location", "orders.csv"]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("already exists");

    const listed = await runCli(env, ["sources", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/shop\s+sqlite\s+shop\.db\s+local/);
    expect(listed.stdout).toMatch(new RegExp(`warehouse\\s+postgres\\s+\\$${warehouseVariable}\\s+local`));

    // A source with scans is only removed with --force.
    const db = await openDatabase(database.url);
    try {
      const installation = (await findInstallationByLogin(db, "local"))!;
      const contract = await createContract(db, {
        installationId: installation.id,
        name: "orders",
        enforcement: "RECORD",
        datasetType: "table",
        datasetName: "orders",
        owners: [],
        version: "1.0.0",
        contents: "name: orders",
        checksum: "x",
      });
      await createScan(db, {
        installationId: installation.id,
        contractId: contract.id,
        contractVersion: "1.0.0",
        sourceId: warehouse.stdout.trim(),
      });
    } finally {
      await db.close();
    }
    const kept = await runCli(env, ["sources", "remove", "warehouse"]);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain("--force");
    const forced = await runCli(env, ["sources", "remove", "warehouse", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("1 scan(s)");
    const byId = await runCli(env, ["sources", "remove", shop.stdout.trim()]);
    expect(byId.code, byId.stderr).toBe(0);
    const missing = await runCli(env, ["sources", "remove", "shop"]);
    expect(missing.code).toBe(2);
    expect((await runCli(env, ["sources", "list"])).stdout).toContain("No data sources");

    for (const result of [shop, warehouse, refused, escaped, duplicate, listed, kept, forced]) {
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    }
  });
});
