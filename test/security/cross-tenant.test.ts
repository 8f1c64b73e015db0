// The cross-tenant sweep: installation A holds objects of every kind; installation B's keys of
// every scope try every method and path of the OpenAPI document with A's ids (and A's ids in
// query filters and bodies). Every answer must be 400, 403 or 404 where an A id is named, never a
// 5xx, never one of A's names or ids it was not sent, and A's objects must be as they were.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../src/core/analyze.ts";
import { upsertGitHubRepositories } from "../../src/db/github-repositories.ts";
import { markDefaultBranchSnapshot, saveSchemaSnapshot } from "../../src/db/github-snapshots.ts";
import { enqueueJob } from "../../src/db/jobs.ts";
import { caller, createTenant } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import { makeSourceFiles, ORDERS_CONTRACT, type SourceFiles } from "../helpers/source-fixtures.ts";

const SECRET_CONTRACT = ORDERS_CONTRACT.replace("name: orders", "name: acme_secret_orders");
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

type Operation = { method: string; path: string };

describe("cross-tenant sweep over every route of the OpenAPI document", () => {
  let files: SourceFiles;
  let cov: CovenantServer;
  let a: ReturnType<typeof caller>;
  let b: Awaited<ReturnType<typeof createTenant>>;
  let operations: Operation[];
  /** A's ids by kind, and the names only A's data holds. */
  const ids: Record<string, string> = {};
  const secrets = [
    "acme_secret_orders",
    "acme_secret_source",
    "acme_secret_key",
    "acme-admin",
    "acme-manage",
  ];

  beforeAll(async () => {
    files = makeSourceFiles();
    cov = await startCovenant({ kind: "postgres", filesRoot: files.root, env: {} });
    a = caller(cov.base, () => cov.tenant.admin);
    b = await createTenant(cov.server.db, "globex");

    const expectCreated = (res: { status: number; text: string }) =>
      expect(res.status, res.text).toBeLessThan(300);
    const contract = await a("POST", "/contracts", { contents: SECRET_CONTRACT });
    expectCreated(contract);
    ids.contract = contract.body.id;
    const version = await a("POST", `/contracts/${ids.contract}/versions`, {
      contents: SECRET_CONTRACT.replace("version: 1.0.0", "version: 1.1.0").replace(
        "    - { name: amount_cents, type: integer }",
        "    - { name: amount_cents, type: integer }\n    - { name: note, type: string }",
      ),
    });
    expectCreated(version);
    expectCreated(await a("POST", `/contracts/${ids.contract}/activate`));
    const assignment = await a("POST", `/contracts/${ids.contract}/assign`, {
      resource_type: "table",
      resource_id: "warehouse.public.acme_secret_orders",
    });
    expectCreated(assignment);
    ids.assignment = assignment.body.id;
    const run = await a("POST", `/contracts/${ids.contract}/validate`, {
      rows: [{ id: 1, email: "broken", status: "lost", amount_cents: -1 }],
    });
    expectCreated(run);
    ids.run = run.body.id;
    ids.violation = run.body.violations[0].id;
    files.forInstallation(cov.tenant.installation.id);
    const source = await a("POST", "/sources", { name: "acme_secret_source", location: "shop.db" });
    expectCreated(source);
    ids.source = source.body.id;
    const scan = await a("POST", `/contracts/${ids.contract}/verify`, { source_id: ids.source });
    expectCreated(scan);
    ids.scan = scan.body.id;
    const key = await a("POST", "/api-keys", { name: "acme_secret_key", scope: "read" });
    expectCreated(key);
    ids.key = key.body.id;
    secrets.push(key.body.key);
    // A's repository, and an analysis of one of its pull requests, as the App records them.
    const db = cov.server.db;
    await db.installation.update({ where: { id: cov.tenant.installation.id }, data: { githubId: 4242 } });
    await upsertGitHubRepositories(db, cov.tenant.installation.id, [
      { githubId: 1, fullName: "acme/shop", private: true },
    ]);
    expectCreated(await a("PUT", "/repos/acme/shop/policy", { max: "NOTIFY" }));
    // The snapshot of its default branch the App keeps, which GET /lineage reads.
    const migration = "migrations/0001_secret.sql";
    const base = new Map([
      [migration, "create table acme_secret_orders (id bigint primary key, email text);"],
    ]);
    const { baseSnapshot } = await analyze({
      basePaths: [migration],
      headPaths: [migration],
      changedPaths: [],
      base,
      head: base,
    });
    const [repository] = await db.repository.findMany({
      where: { installationId: cov.tenant.installation.id },
    });
    const snapshot = {
      version: 2,
      paths: [migration],
      files: {},
      snapshot: baseSnapshot,
      unreadable: [],
      readFindings: [],
    };
    await saveSchemaSnapshot(db, { repositoryId: repository!.id, commitSha: "a".repeat(40), data: snapshot });
    await markDefaultBranchSnapshot(db, {
      repositoryId: repository!.id,
      commitSha: "a".repeat(40),
      seenAt: new Date(),
    });
    const lineage = await a("GET", "/lineage?repo=acme/shop&dataset=acme_secret_orders&column=email");
    expect(lineage.status, lineage.text).toBe(200);
    const analysis = await enqueueJob(db, {
      kind: "github.analyze",
      dedupeKey: "analyze:4242:acme/shop#7@abc1234",
      payload: { installationId: 4242, owner: "acme", repo: "shop", pullNumber: 7, deliveryId: "d-7" },
    });
    await db.job.update({ where: { id: analysis.id }, data: { status: "failed", lastError: "probe" } });
    ids.analysis = analysis.id;

    const doc = (await (await fetch(`${cov.base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Partial<Record<(typeof METHODS)[number], unknown>>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => ({
        method: m.toUpperCase(),
        path: path.replace(/^\/api\/v1/, ""),
      })),
    );
  });

  afterAll(async () => {
    await cov?.close();
    files?.cleanup();
  });

  /** A body that passes validation, so that the answer is about the id, not the body. */
  const bodyFor = ({ method, path }: Operation, probe: string): unknown => {
    switch (`${method} ${path}`) {
      case "POST /contracts":
        return { contents: ORDERS_CONTRACT.replace("name: orders", `name: ${probe}`) };
      case "POST /contracts/{id}/versions":
        return { contents: SECRET_CONTRACT.replace("version: 1.0.0", "version: 2.0.0") };
      case "PUT /contracts/{id}":
        return { enforcement: "RECORD" };
      case "POST /contracts/{id}/deprecate":
        return { reason: "probe", successor_contract_id: ids.contract };
      case "POST /contracts/{id}/assign":
      case "POST /contracts/{id}/unassign":
        return { resource_type: "table", resource_id: "warehouse.public.acme_secret_orders" };
      case "POST /contracts/{id}/validate":
        return { rows: [{ id: 1 }] };
      case "POST /contracts/{id}/verify":
        return { source_id: ids.source };
      case "POST /contract-violations/{id}/resolve":
        return { resolution: "probe" };
      case "POST /contract-violations/{id}/acknowledge":
        return {};
      case "POST /check":
        return { contract_id: ids.contract, rows: [{ id: 1 }] };
      case "POST /infer":
        return { source_id: ids.source, table: "orders" };
      case "POST /sources":
        return { name: probe, location: "missing.db" };
      case "PATCH /sources/{id}":
        return { description: "probe" };
      case "PUT /repos/{owner}/{repo}/policy":
        return { max: "BLOCK" };
      case "POST /api-keys":
        return { name: probe, scope: "read" };
      default:
        return method === "GET" || method === "DELETE" ? undefined : {};
    }
  };

  it("answers B's keys of every scope on every route with A's ids: 400/403/404, no 5xx, nothing of A's", async () => {
    const allIds = Object.values(ids);
    let requests = 0;
    let n = 0;
    for (const scope of ["read", "manage", "admin"] as const) {
      const call = caller(cov.base, () => b[scope]);
      for (const op of operations) {
        const targets = op.path.includes("{id}") ? allIds : [undefined];
        for (const target of targets) {
          const path = op.path
            .replace("{id}", target ?? "")
            .replace("{version}", "1.1.0")
            .replace("{owner}", "acme")
            .replace("{repo}", "shop");
          const body = bodyFor(op, `globex_probe_${n++}`);
          const res = await call(op.method, path, body);
          requests++;
          const what = `${scope} ${op.method} ${path} -> ${res.status} ${res.text.slice(0, 300)}`;
          expect(res.status, what).toBeLessThan(500);
          if (target !== undefined) expect([400, 403, 404], what).toContain(res.status);
          const sent = `${path} ${JSON.stringify(body ?? "")}`;
          for (const secret of [...secrets, ...allIds.filter((id) => !sent.includes(id))]) {
            expect(res.text.includes(secret), `${what} leaks ${secret}`).toBe(false);
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(3 * operations.length);
  });

  it("finds none of A's objects through B's list filters", async () => {
    const call = caller(cov.base, () => b.admin);
    for (const query of [
      `contract=${ids.contract}`,
      `source_id=${ids.source}`,
      `validation_run_id=${ids.run}`,
      "repo=acme/shop",
    ]) {
      const res = await call("GET", `/violations?${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.content, query).toEqual([]);
    }
    const lineage = await call("GET", "/lineage?repo=acme/shop&dataset=acme_secret_orders&column=email");
    expect(lineage.status, lineage.text).toBe(404);
    expect(lineage.body.message).toMatch(/acme\/shop not found in this installation/);
    expect(lineage.body.downstream).toBeUndefined();
    for (const path of [
      "/contracts?dataset=orders",
      "/sources",
      "/api-keys",
      "/installations",
      "/repositories",
      "/policies",
      "/analyses",
      "/overview",
      "/waivers",
      "/scans",
    ]) {
      const res = await call("GET", path);
      expect(res.status, `${path} ${res.text}`).toBe(200);
      for (const secret of [...secrets, "acme/shop", "4242", ids.analysis!]) {
        expect(res.text.includes(secret), `${path} leaks ${secret}`).toBe(false);
      }
    }
  });

  it("leaves A's objects as they were", async () => {
    const contract = await a("GET", `/contracts/${ids.contract}`);
    expect(contract.body).toMatchObject({ status: "active", version: "1.1.0", enforcement: "BLOCK" });
    expect((await a("GET", `/contracts/${ids.contract}/assignments`)).body.content).toHaveLength(1);
    expect((await a("GET", `/contract-violations/${ids.violation}`)).body.status).toBe("open");
    expect((await a("GET", `/sources/${ids.source}`)).status).toBe(200);
    expect((await a("GET", "/repos/acme/shop/policy")).body.max).toBe("NOTIFY");
    const analysis = await a("GET", `/analyses/${ids.analysis}`);
    expect(analysis.body).toMatchObject({ status: "failed", repo: "acme/shop" });
    const keys = await a("GET", "/api-keys");
    expect(keys.body.content.find((k: { id: string }) => k.id === ids.key)?.revoked_at).toBeNull();
    const scan = await a("GET", `/scans/${ids.scan}`);
    expect(scan.status).toBe(200);
    expect(scan.body.cancel_requested).toBe(false);
    expect(scan.body.status).not.toBe("cancelled");
  });
});
