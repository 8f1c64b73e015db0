import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimJob } from "../../src/db/jobs.ts";
import { startScan } from "../../src/db/scans.ts";
import { updateViolationStatus } from "../../src/db/violations.ts";
import { createJobQueue, type JobQueue } from "../../src/jobs/job-queue.ts";
import { runScanJob, SCAN_JOB_KIND, type ScanJobPayload } from "../../src/jobs/scan-job.ts";
import { parseSourceHosts } from "../../src/sources/source-hosts.ts";
import { sourceVariableName } from "../../src/sources/source-location.ts";
import { type ApiTestDatabase, openApiTestDatabase } from "../helpers/api-db.ts";
import { caller, createTenant, startApi } from "../helpers/api-server.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import {
  BROKEN_ORDERS,
  CLEAN_ORDERS,
  makePgSource,
  makeSourceFiles,
  ORDERS_CONTRACT,
  type SourceFiles,
  writeSqliteOrders,
} from "../helpers/source-fixtures.ts";

const PASSWORD = "pw-Zq81xK";
/** The test's PostgreSQL runs on this machine: allow it as a source host. */
const LOCAL_HOSTS = parseSourceHosts("127.0.0.1");
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe.each(["sqlite", "postgres"] as const)(
  "data sources, validation and scans (Covenant on %s)",
  (kind) => {
    let database: ApiTestDatabase;
    let api: Awaited<ReturnType<typeof startApi>>;
    let queue: JobQueue;
    let files: SourceFiles;
    let pgSource: TestPgDatabase;
    let a: Awaited<ReturnType<typeof createTenant>>;
    let b: Awaited<ReturnType<typeof createTenant>>;
    let call: ReturnType<typeof caller>;
    const env: Record<string, string | undefined> = {};
    /** Installation A's name for a source variable. */
    let v: (name: string) => string;
    let shopFile: string;

    const waitForScan = async (id: string) => {
      for (let i = 0; i < 400; i++) {
        const scan = await call("GET", `/scans/${id}`, undefined, a.read);
        if (!["queued", "running"].includes(scan.body.status)) return scan;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`scan ${id} did not finish`);
    };

    /** Installation A's source called `name`. */
    const sourceNamed = async (name: string) =>
      (await call("GET", "/sources?size=100", undefined, a.read)).body.content.find(
        (s: { name: string }) => s.name === name,
      );

    /** The orders contract registered again as `name`, and a scan of it on the shop source, queued. */
    const queueShopScan = async (name: string) => {
      const contract = await call("POST", "/contracts", {
        contents: ORDERS_CONTRACT.replace("name: orders", `name: ${name}`),
      });
      const shop = await sourceNamed("shop");
      return call("POST", `/contracts/${contract.body.id}/verify`, { source_id: shop.id });
    };

    beforeAll(async () => {
      files = makeSourceFiles();
      pgSource = await makePgSource(BROKEN_ORDERS);
      env.DATABASE_URL = "postgresql://postgres:server-secret@127.0.0.1/covenant";
      database = await openApiTestDatabase(kind);
      queue = createJobQueue({
        db: database.db,
        logger: quiet,
        workers: 1,
        pollMs: 50,
        handlers: {
          [SCAN_JOB_KIND]: (payload, job) =>
            runScanJob(
              {
                db: database.db,
                logger: quiet,
                sources: { filesRoot: files.root, env, hosts: LOCAL_HOSTS },
                timeoutMs: 60_000,
              },
              payload as ScanJobPayload,
              job,
            ),
        },
      });
      queue.start();
      api = await startApi(database.db, {
        sources: { filesRoot: files.root, env, hosts: LOCAL_HOSTS },
        enqueue: queue.enqueue,
      });
      a = await createTenant(database.db, "acme");
      b = await createTenant(database.db, "globex");
      v = (name) => sourceVariableName(a.installation.id, name);
      env[v("PG")] = pgSource.urlWithPassword(PASSWORD);
      env[v("SHOP_FILE")] = "shop.db";
      shopFile = join(files.forInstallation(a.installation.id), "shop.db");
      call = caller(api.base, () => a.manage);
    });

    afterAll(async () => {
      await api?.close();
      await queue?.stop();
      await database?.drop();
      await pgSource?.drop();
      files?.cleanup();
    });

    it("registers file and PostgreSQL sources, never showing a password", async () => {
      const shop = await call("POST", "/sources", {
        name: "shop",
        location: "shop.db",
        description: "orders",
      });
      expect(shop.status, shop.text).toBe(201);
      expect(shop.headers.get("location")).toBe(`/api/v1/sources/${shop.body.id}`);
      expect(shop.body).toMatchObject({
        name: "shop",
        kind: "sqlite",
        location: "shop.db",
        location_env: null,
      });
      expect(shop.body.tables).toContain("main.orders");

      const csv = await call("POST", "/sources", {
        name: "orders-csv",
        location: `${files.root}/${a.installation.id}/orders.csv`,
      });
      expect(csv.status, csv.text).toBe(201);
      expect(csv.body).toMatchObject({ kind: "csv", location: "orders.csv" });

      const warehouse = await call("POST", "/sources", {
        name: "warehouse",
        location_env: v("PG"),
      });
      expect(warehouse.status, warehouse.text).toBe(201);
      expect(warehouse.body).toMatchObject({
        kind: "postgres",
        location: null,
        location_env: v("PG"),
      });
      expect(warehouse.body.tables).toContain("public.orders");

      const plain = await call("POST", "/sources", { name: "pg-plain", location: pgSource.url });
      expect(plain.status, plain.text).toBe(201);
      expect(plain.body.kind).toBe("postgres");

      const listed = await call("GET", "/sources?size=2", undefined, a.read);
      expect(listed.status).toBe(200);
      expect(listed.body.total_elements).toBe(4);
      expect(listed.body.content.map((s: { name: string }) => s.name)).toEqual(["shop", "orders-csv"]);
      const rest = await call("GET", `/sources?cursor=${listed.body.cursor}`, undefined, a.read);
      expect(rest.body.content.map((s: { name: string }) => s.name)).toEqual(["warehouse", "pg-plain"]);

      const tables = await call("GET", `/sources/${warehouse.body.id}/tables`, undefined, a.read);
      expect(tables.status).toBe(200);
      expect(tables.body.tables).toContain("public.orders");

      // Another tenant sees none of it.
      expect((await call("GET", `/sources/${shop.body.id}`, undefined, b.admin)).status).toBe(404);
      expect((await call("GET", "/sources", undefined, b.read)).body.total_elements).toBe(0);

      for (const reply of [shop, csv, warehouse, plain, listed, rest, tables]) {
        expect(reply.text).not.toContain(PASSWORD);
        expect(reply.text).not.toContain(files.root);
      }
    });

    it.each([
      ["a URL with a password", { location: "postgresql://app:hunter2@127.0.0.1/shop" }, /location_env/],
      ["a password= parameter", { location: "postgresql://127.0.0.1/shop?password=hunter2" }, /location_env/],
      [
        "a .. escape",
        { location: "../../outside/secret.db" },
        /outside this installation's data source directory/,
      ],
      [
        "a symlink out of the root",
        { location: "escape.db" },
        /outside this installation's data source directory/,
      ],
      [
        "an absolute path elsewhere",
        { location: "/etc/passwd" },
        /outside this installation's data source directory/,
      ],
      ["a missing file", { location: "nope.db" }, /No file "nope.db"/],
      ["an http URL", { location: "http://169.254.169.254/latest.csv" }, /Only postgresql/],
      ["the server's own secrets", { location_env: "DATABASE_URL" }, /this installation's server variables/],
      ["an unprefixed variable", { location_env: "COVENANT_SOURCE_PG" }, /this installation's/],
      ["an unset variable", { location_env: "<A>NOPE" }, /not set on the Covenant server/],
      ["both location and location_env", { location: "shop.db", location_env: "<A>PG" }, /exactly one/],
      ["a wildcard", { location: "*.db" }, /wildcard/],
    ])("refuses %s with 400 and stores nothing", async (_, given, message) => {
      const body = JSON.parse(JSON.stringify(given).replace("<A>", v("")));
      const res = await call("POST", "/sources", { name: "bad", ...body });
      expect(res.status, res.text).toBe(400);
      expect(res.body.message).toMatch(message);
      expect(res.text).not.toContain("hunter2");
      expect(res.text).not.toContain("server-secret");
      // Where a symlink points is not revealed.
      expect(res.text).not.toContain(files.outside);
      expect(
        (await call("GET", "/sources?size=100", undefined, a.read)).body.content.map(
          (s: { name: string }) => s.name,
        ),
      ).not.toContain("bad");
    });

    it("refuses a duplicate name (409), an unreachable database (502) and a read-only key (403)", async () => {
      expect((await call("POST", "/sources", { name: "shop", location: "orders.csv" })).status).toBe(409);
      env[v("DOWN")] = "postgresql://postgres:pw-down@127.0.0.1:1/nowhere";
      const down = await call("POST", "/sources", { name: "down", location_env: v("DOWN") });
      expect(down.status, down.text).toBe(502);
      expect(down.text).not.toContain("pw-down");
      expect((await call("POST", "/sources", { name: "x", location: "orders.csv" }, a.read)).status).toBe(
        403,
      );
    });

    it("updates a source (renaming, re-pointing with the same rules) and deletes it", async () => {
      const created = await call("POST", "/sources", { name: "tmp", location: "orders.csv" });
      expect(created.status).toBe(201);
      const renamed = await call("PATCH", `/sources/${created.body.id}`, {
        name: "tmp2",
        description: "renamed",
      });
      expect(renamed.status, renamed.text).toBe(200);
      expect(renamed.body).toMatchObject({ name: "tmp2", description: "renamed", location: "orders.csv" });
      const escaped = await call("PATCH", `/sources/${created.body.id}`, { location: "escape.db" });
      expect(escaped.status).toBe(400);
      const moved = await call("PATCH", `/sources/${created.body.id}`, {
        location_env: v("SHOP_FILE"),
      });
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body).toMatchObject({
        kind: "sqlite",
        location: null,
        location_env: v("SHOP_FILE"),
      });
      // An empty patch changes nothing: the source as it is, not a 404.
      const unchanged = await call("PATCH", `/sources/${created.body.id}`, {});
      expect(unchanged.status, unchanged.text).toBe(200);
      expect(unchanged.body).toMatchObject({ id: created.body.id, name: "tmp2", description: "renamed" });
      expect((await call("PATCH", `/sources/${created.body.id}`, { name: "shop" })).status).toBe(409);
      expect((await call("DELETE", `/sources/${created.body.id}`)).status).toBe(204);
      expect((await call("GET", `/sources/${created.body.id}`, undefined, a.read)).status).toBe(404);
    });

    it("validates a source's table synchronously; violations are updated, resolved and reopened across runs", async () => {
      const contract = await call("POST", "/contracts", { contents: ORDERS_CONTRACT });
      expect(contract.status).toBe(201);
      const id = contract.body.id as string;
      const sources = (await call("GET", "/sources?size=100", undefined, a.read)).body.content as Array<{
        id: string;
        name: string;
      }>;
      const shop = sources.find((s) => s.name === "shop")!;

      const first = await call("POST", `/contracts/${id}/validate`, { source_id: shop.id });
      expect(first.status, first.text).toBe(201);
      expect(first.headers.get("location")).toBe(`/api/v1/validation-runs/${first.body.id}`);
      expect(first.body).toMatchObject({
        status: "failed",
        passed: false,
        rows_evaluated: 4,
        source_id: shop.id,
        table: "main.orders",
      });
      expect(first.body.schema.score).toBe(0);
      const byRule = Object.fromEntries(first.body.results.map((r: { rule_id: string }) => [r.rule_id, r]));
      expect(byRule.email_format).toMatchObject({ status: "failed", sample_values: ["broken"] });
      expect(byRule["column:status:accepted_values"]).toMatchObject({
        status: "failed",
        sample_values: ["lost"],
      });
      expect(byRule.non_negative).toMatchObject({ status: "passed" });
      expect(first.body.violations).toHaveLength(2);
      expect(first.body.violations.every((v: { status: string }) => v.status === "open")).toBe(true);
      expect(byRule.email_format.violation_id).toBe(
        first.body.violations.find((v: { rule: string }) => v.rule === "data-regex").id,
      );
      const got = await call("GET", `/validation-runs/${first.body.id}`, undefined, a.read);
      expect(got.body).toEqual(first.body);

      // Same facts again: the same two violations, updated in place.
      const second = await call("POST", `/contracts/${id}/validate`, { source_id: shop.id });
      expect(second.body.violations.map((v: { id: string }) => v.id).sort()).toEqual(
        first.body.violations.map((v: { id: string }) => v.id).sort(),
      );
      const bySource = await call("GET", `/violations?source_id=${shop.id}&size=100`, undefined, a.read);
      expect(bySource.body.total_elements).toBe(2);
      expect(
        bySource.body.content.every(
          (v: { validation_run_id: string }) => v.validation_run_id === second.body.id,
        ),
      ).toBe(true);
      const byRun = await call("GET", `/violations?validation_run_id=${first.body.id}`, undefined, a.read);
      expect(byRun.body.total_elements).toBe(2);
      const regex = bySource.body.content.find((v: { rule: string }) => v.rule === "data-regex");
      const accepted = bySource.body.content.find((v: { rule: string }) => v.rule === "data-accepted-values");
      expect(regex).toMatchObject({
        status: "open",
        column: "email",
        dataset: "main.orders",
        contract_name: "orders",
        sample_values: ["broken"],
      });
      expect(regex.message).toContain('source "shop"');

      // A human waives one; the fix then resolves the other on the next run, and the waiver stands.
      await updateViolationStatus(database.db, {
        installationId: a.installation.id,
        id: accepted.id,
        from: "open",
        to: "waived",
        at: new Date(),
        by: "alice",
        waiverReason: "legacy rows",
      });
      writeSqliteOrders(shopFile, CLEAN_ORDERS);
      const fixed = await call("POST", `/contracts/${id}/validate`, { source_id: shop.id });
      expect(fixed.body).toMatchObject({ status: "passed", passed: true, rules_failed: 0, violations: [] });
      const resolved = await call("GET", `/contract-violations/${regex.id}`, undefined, a.read);
      expect(resolved.body).toMatchObject({
        status: "resolved",
        resolution: "fixed",
        resolved_by: "covenant",
      });
      expect(resolved.body.notes).toContain(fixed.body.id);
      expect((await call("GET", `/contract-violations/${accepted.id}`, undefined, a.read)).body.status).toBe(
        "waived",
      );

      // Broken again: the resolved one is reopened with a note, the waived one stays waived but is updated.
      writeSqliteOrders(shopFile, BROKEN_ORDERS);
      const broken = await call("POST", `/contracts/${id}/validate`, { source_id: shop.id });
      expect(broken.body.status).toBe("failed");
      const reopened = await call("GET", `/contract-violations/${regex.id}`, undefined, a.read);
      expect(reopened.body).toMatchObject({
        status: "open",
        resolved_at: null,
        validation_run_id: broken.body.id,
      });
      expect(reopened.body.notes).toContain(`Reopened by validation run ${broken.body.id}`);
      const waived = await call("GET", `/contract-violations/${accepted.id}`, undefined, a.read);
      expect(waived.body).toMatchObject({ status: "waived", validation_run_id: broken.body.id });

      // The same rule against another source is another violation.
      const warehouse = sources.find((s) => s.name === "warehouse")!;
      const pgRun = await call("POST", `/contracts/${id}/validate`, { source_id: warehouse.id });
      expect(pgRun.status, pgRun.text).toBe(201);
      expect(pgRun.body).toMatchObject({ status: "failed", table: "public.orders", rows_evaluated: 4 });
      expect(pgRun.body.violations.map((v: { id: string }) => v.id)).not.toContain(regex.id);
      expect(pgRun.text).not.toContain(PASSWORD);

      // Rows sent in the request keep working, and are their own "source".
      const rows = await call("POST", `/contracts/${id}/validate`, {
        rows: [{ id: 1, email: "nope", status: "new", amount_cents: 1 }],
      });
      expect(rows.status).toBe(201);
      expect(rows.body).toMatchObject({ source_id: null, table: "orders", status: "failed" });
      expect(rows.body.violations.map((v: { id: string }) => v.id)).not.toContain(regex.id);
    });

    it("answers clear errors for bad validate requests", async () => {
      const contract = await call("POST", "/contracts", {
        contents: ORDERS_CONTRACT.replace("name: orders", "name: orders_errors"),
      });
      const id = contract.body.id as string;
      const shop = await sourceNamed("shop");
      const both = await call("POST", `/contracts/${id}/validate`, { rows: [], source_id: shop.id });
      expect(both.status).toBe(400);
      expect(both.body.message).toMatch(/either `rows`/);
      const neither = await call("POST", `/contracts/${id}/validate`, {});
      expect(neither.status).toBe(400);
      const unknown = await call("POST", `/contracts/${id}/validate`, { source_id: "nope" });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details[0].path).toBe("source_id");
      const missingTable = await call("POST", `/contracts/${id}/validate`, {
        source_id: shop.id,
        table: "nope",
      });
      expect(missingTable.status).toBe(400);
      expect(missingTable.body.message).toContain("main.orders");
      // The API's field is named, not only the command line's option.
      expect(missingTable.body.message).toContain("`table`");
      const warehouse = await sourceNamed("warehouse");
      const missingPgTable = await call("POST", `/contracts/${id}/validate`, {
        source_id: warehouse.id,
        table: "public.nope",
      });
      expect(missingPgTable.status).toBe(400);
      expect(missingPgTable.body.message).toContain("public.orders");
      expect(missingPgTable.body.message).toContain(`$${v("PG")}`);
      expect(missingPgTable.text).not.toContain(pgSource.name);
      const otherTenant = await call("POST", `/contracts/${id}/validate`, { source_id: shop.id }, b.admin);
      expect(otherTenant.status).toBe(404);
    });

    it("verifies asynchronously: a scan runs on the job queue, logs, and becomes a validation run", async () => {
      const contract = await call("POST", "/contracts", {
        contents: ORDERS_CONTRACT.replace("name: orders", "name: orders_scan"),
      });
      const id = contract.body.id as string;
      const warehouse = await sourceNamed("warehouse");
      const queued = await call("POST", `/contracts/${id}/verify`, {
        source_id: warehouse.id,
        sample_limit: 100,
      });
      expect(queued.status, queued.text).toBe(201);
      expect(queued.headers.get("location")).toBe(`/api/v1/scans/${queued.body.id}`);
      expect(queued.body).toMatchObject({ status: "queued", source_id: warehouse.id, sample_limit: 100 });

      const done = await waitForScan(queued.body.id);
      expect(done.body).toMatchObject({ status: "failed", error: null });
      expect(done.body.result).toMatchObject({ passed: false, rows_evaluated: 4, table: "public.orders" });
      expect(done.body.finished_at).not.toBeNull();
      const run = await call("GET", `/validation-runs/${done.body.validation_run_id}`, undefined, a.read);
      expect(run.body).toMatchObject({ source_id: warehouse.id, status: "failed" });
      expect(run.body.violations.length).toBe(2);

      const logs = await call("GET", `/scans/${queued.body.id}/logs`, undefined, a.read);
      expect(logs.status).toBe(200);
      expect(logs.body.done).toBe(true);
      expect(logs.body.content.length).toBeGreaterThan(2);
      expect(logs.body.content.at(-1).message).toMatch(/^Failed: 4 rows/);
      expect(logs.text).not.toContain(PASSWORD);
      // A location_env source is named by its variable: its value (host, database) is never shown.
      expect(logs.text).toContain(`$${v("PG")}`);
      expect(logs.text).not.toContain(pgSource.name);
      const ats = logs.body.content.map((l: { at: string }) => l.at);
      expect([...ats].sort()).toEqual(ats);
      const after = await call(
        "GET",
        `/scans/${queued.body.id}/logs?after=${logs.body.cursor}`,
        undefined,
        a.read,
      );
      expect(after.body).toMatchObject({ content: [], cursor: logs.body.cursor, done: true });
      const firstTwo = await call("GET", `/scans/${queued.body.id}/logs?limit=2`, undefined, a.read);
      expect(firstTwo.body.done).toBe(false);
      const next = await call(
        "GET",
        `/scans/${queued.body.id}/logs?after=${firstTwo.body.cursor}`,
        undefined,
        a.read,
      );
      expect(next.body.content).toEqual(logs.body.content.slice(2));
      // A bad `after` is named as such (it is not called `cursor` on this route).
      const badAfter = await call("GET", `/scans/${queued.body.id}/logs?after=zzzz`, undefined, a.read);
      expect(badAfter.status).toBe(400);
      expect(badAfter.body.details[0].path).toBe("after");
      expect(badAfter.body.message).toContain("`after`");

      expect((await call("POST", `/scans/${queued.body.id}/cancel`)).status).toBe(409);
      const listed = await call("GET", `/contracts/${id}/scans`, undefined, a.read);
      expect(listed.body.content.map((s: { id: string }) => s.id)).toEqual([queued.body.id]);
      expect(listed.body.content[0].result).toBeUndefined();
      expect((await call("GET", `/scans/${queued.body.id}`, undefined, b.admin)).status).toBe(404);

      // A source with scans is not deleted by accident.
      const refused = await call("DELETE", `/sources/${warehouse.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain("force=true");
    });

    it("cancels a queued scan at once", async () => {
      await queue.stop();
      try {
        const queued = await queueShopScan("orders_cancel");
        expect(queued.body.status).toBe("queued");
        const cancelled = await call("POST", `/scans/${queued.body.id}/cancel`);
        expect(cancelled.status).toBe(202);
        expect(cancelled.body).toMatchObject({ status: "cancelled", cancel_requested: true });
        expect((await call("POST", `/scans/${queued.body.id}/cancel`)).status).toBe(409);
      } finally {
        queue.start();
      }
      await queue.idle();
    });

    it("runs a scan again when the worker running it died (its lease ran out)", async () => {
      await queue.stop();
      let scanId: string;
      try {
        const queued = await queueShopScan("orders_crash");
        scanId = queued.body.id;
        // A worker claims the job and starts the scan, then dies: no completion, a lease already over.
        const job = await claimJob(database.db, {
          workerId: "dead-worker",
          leaseMs: 1,
          kinds: [SCAN_JOB_KIND],
        });
        expect(job?.dedupeKey).toBe(`scan:${scanId}`);
        expect(await startScan(database.db, scanId, new Date())).not.toBeNull();
        expect((await call("GET", `/scans/${scanId}`, undefined, a.read)).body.status).toBe("running");
      } finally {
        queue.start();
      }
      const done = await waitForScan(scanId);
      expect(done.body).toMatchObject({ status: "failed", result: { rows_evaluated: 4 } });
      const logs = await call("GET", `/scans/${scanId}/logs`, undefined, a.read);
      expect(logs.body.content[0].message).toMatch(/^Restarted \(attempt 2\)/);
    });

    it("ends as cancelled a running scan whose worker died before it could honour a cancel", async () => {
      await queue.stop();
      let scanId: string;
      try {
        const queued = await queueShopScan("orders_crash_cancel");
        scanId = queued.body.id;
        // A worker claims the job and starts the scan, then dies; the cancel comes afterwards.
        await claimJob(database.db, { workerId: "dead-worker", leaseMs: 1, kinds: [SCAN_JOB_KIND] });
        expect(await startScan(database.db, scanId, new Date())).not.toBeNull();
        const cancel = await call("POST", `/scans/${scanId}/cancel`);
        expect(cancel.status).toBe(202);
        expect(cancel.body).toMatchObject({ status: "running", cancel_requested: true });
      } finally {
        queue.start();
      }
      await queue.idle();
      const scan = await call("GET", `/scans/${scanId}`, undefined, a.read);
      expect(scan.body).toMatchObject({
        status: "cancelled",
        cancel_requested: true,
        validation_run_id: null,
      });
      expect(scan.body.finished_at).not.toBeNull();
      const logs = await call("GET", `/scans/${scanId}/logs`, undefined, a.read);
      expect(logs.body.done).toBe(true);
      expect(logs.body.content.at(-1).message).toMatch(/^Cancelled/);
    });

    it("ends a scan interrupted by a shutdown on its last attempt as an error, not running forever", async () => {
      await queue.stop();
      // An instance shutting down while it runs the scan's last attempt (here the only one).
      const stopping = createJobQueue({
        db: database.db,
        logger: quiet,
        workers: 1,
        pollMs: 50,
        maxAttempts: 1,
        handlers: {
          [SCAN_JOB_KIND]: (payload, job) =>
            runScanJob(
              {
                db: database.db,
                logger: quiet,
                sources: { filesRoot: files.root, env, hosts: LOCAL_HOSTS },
                timeoutMs: 60_000,
                shutdown: AbortSignal.abort(),
              },
              payload as ScanJobPayload,
              job,
            ),
        },
      });
      let scanId: string;
      try {
        const queued = await queueShopScan("orders_last_attempt");
        scanId = queued.body.id;
        stopping.start();
        await stopping.idle();
      } finally {
        await stopping.stop();
        queue.start();
      }
      await queue.idle();
      const scan = await call("GET", `/scans/${scanId}`, undefined, a.read);
      expect(scan.body.status).toBe("error");
      expect(scan.body.error).toMatch(/shutdown/);
      expect(scan.body.finished_at).not.toBeNull();
    });

    it("infers a draft from rows or a source, and saves it as a draft contract", async () => {
      const rows = Array.from({ length: 12 }, (_, i) => ({
        id: i + 1,
        email: `u${i}@example.com`,
        tier: "gold",
      }));
      const draft = await call("POST", "/infer", { rows, dataset: "public.customers", owner: "@acme/crm" });
      expect(draft.status, draft.text).toBe(200);
      expect(draft.body.contents).toContain("public.customers");
      expect(draft.body.contract).toMatchObject({ name: "customers", dataset: { name: "public.customers" } });

      const shop = await sourceNamed("shop");
      const fromSource = await call("POST", "/infer", {
        source_id: shop.id,
        table: "orders",
        name: "shop_orders",
      });
      expect(fromSource.status, fromSource.text).toBe(200);
      expect(fromSource.body.contract.name).toBe("shop_orders");
      expect(fromSource.text).not.toContain(files.root);

      const saved = await call("POST", "/infer", {
        source_id: shop.id,
        table: "orders",
        name: "shop_orders",
        save: true,
      });
      expect(saved.status, saved.text).toBe(201);
      expect(saved.headers.get("location")).toBe(`/api/v1/contracts/${saved.body.id}`);
      expect(saved.body).toMatchObject({ name: "shop_orders", status: "draft" });
      const again = await call("POST", "/infer", {
        source_id: shop.id,
        table: "orders",
        name: "shop_orders",
        save: true,
      });
      expect(again.status).toBe(409);

      const noDataset = await call("POST", "/infer", { rows });
      expect(noDataset.status).toBe(400);
      expect(noDataset.body.details[0].path).toBe("dataset");

      // A table the source does not have is a bad request, as it is for /validate.
      const warehouse = await sourceNamed("warehouse");
      const missingTable = await call("POST", "/infer", { source_id: warehouse.id, table: "public.nope" });
      expect(missingTable.status, missingTable.text).toBe(400);
      expect(missingTable.body.message).toContain("public.orders");
    });

    it("deletes a source with scans only when forced, keeping runs and violations", async () => {
      const warehouse = await sourceNamed("warehouse");
      const before = await call("GET", `/violations?source_id=${warehouse.id}`, undefined, a.read);
      expect(before.body.total_elements).toBeGreaterThan(0);
      expect((await call("DELETE", `/sources/${warehouse.id}?force=true`)).status).toBe(204);
      const ids = before.body.content.map((v: { id: string }) => v.id);
      for (const id of ids)
        expect((await call("GET", `/contract-violations/${id}`, undefined, a.read)).status).toBe(200);
    });
  },
);
