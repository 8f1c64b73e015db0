import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "../../src/db/api-keys.ts";
import { upsertGitHubRepositories } from "../../src/db/github-repositories.ts";
import { type BucketStore, memoryBuckets } from "../../src/db/rate-limit-buckets.ts";
import { recordViolations, type ViolationRecord } from "../../src/db/violations.ts";
import { createTenant, startApiOn } from "../helpers/api-server.ts";

const ORDERS_YAML = `name: orders
version: 1.0.0
status: active
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
restrict_pii: true
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true, unique: true }
    - { name: email, type: string, pii: true }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+$' }
  - { id: non_negative, type: sql, expression: "amount_cents >= 0" }
`;

// biome-ignore lint/suspicious/noExplicitAny: assertions read response bodies loosely; toMatchObject checks them
type Reply = { status: number; headers: Headers; body: any };

const violation = (n: number, extra: Partial<ViolationRecord> = {}): ViolationRecord => ({
  dedupeKey: `acme/shop#${n}:column-removed:orders:email`,
  fingerprint: "column-removed:orders:email",
  rule: "column-removed",
  severity: "error",
  enforcement: "BLOCK",
  contractName: "orders",
  dataset: "public.orders",
  column: "email",
  message: "column public.orders.email is dropped",
  gitRepo: "acme/shop",
  prNumber: n,
  gitHash: "abc123",
  reviewers: ["alice"],
  ...extra,
});

describe.each(["sqlite", "postgres"] as const)("REST API on %s", (kind) => {
  let h: Awaited<ReturnType<typeof startApiOn>>;
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;

  const call = async (
    method: string,
    path: string,
    options: { key?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? a.admin : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    } else if (options.raw !== undefined) headers["content-type"] ??= "application/json";
    const res = await fetch(`${h.base}/api/v1${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed };
  };

  beforeAll(async () => {
    h = await startApiOn(kind, { bodyLimitBytes: 64 * 1024 });
    a = await createTenant(h.db, "acme");
    b = await createTenant(h.db, "globex");
    // Policies are set for repositories the installation holds (GitHub reports them).
    await upsertGitHubRepositories(h.db, a.installation.id, [
      { githubId: 1, fullName: "acme/shop", private: true },
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("serves an OpenAPI 3.1 document, publicly, describing every route", async () => {
    const res = await fetch(`${h.base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const served = h.api.routes
      .filter((r) => r.method !== "ALL" && r.path.startsWith("/api/v1/") && r.path !== "/api/v1/openapi.json")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(new Set(served)).toEqual(new Set(documented));
    for (const expected of [
      "get /api/v1/contracts",
      "post /api/v1/contracts/{id}/deprecate",
      "post /api/v1/contracts/{id}/validate",
      "get /api/v1/validation-runs/{id}",
      "put /api/v1/repos/{owner}/{repo}/policy",
      "delete /api/v1/api-keys/{id}",
      "post /api/v1/contract-violations/{id}/acknowledge",
    ]) {
      expect(documented).toContain(expected);
    }
    // The body limit answers 413 on every route taking a body: each of them documents it.
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(([method, op]) => ({ op: `${method} ${path}`, has413: "413" in op.responses })),
    );
    expect(withBody.map((o) => o.op)).toContain("post /api/v1/sources");
    expect(withBody.filter((o) => !o.has413).map((o) => o.op)).toEqual([]);
  });

  it("walks the README journey: create from YAML, activate, versions, assign, deprecate, delete", async () => {
    const created = await call("POST", "/contracts", { body: { contents: ORDERS_YAML } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get("location")).toBe(`/api/v1/contracts/${id}`);
    expect(created.body).toMatchObject({
      name: "orders",
      version: "1.0.0",
      status: "draft",
      enforcement: "BLOCK",
      owners: ["@acme/data-platform"],
      dataset: { type: "table", name: "public.orders" },
      // Stored as sent, but saying the registry's status: a new contract is a draft.
      contents: ORDERS_YAML.replace("status: active", "status: draft"),
    });
    expect(created.body.warnings[0]).toContain('status "active"');

    const got = await call("GET", `/contracts/${id}`, { key: a.read });
    expect(got.status).toBe(200);
    expect(got.body.contents).toBe(ORDERS_YAML.replace("status: active", "status: draft"));
    const odcs = await call("GET", `/contracts/${id}?format=odcs`, { key: a.read });
    expect(odcs.status).toBe(200);
    expect(odcs.body.contents).toMatch(/apiVersion: v3/);
    expect(odcs.body.contents).toMatch(/kind: DataContract/);

    const activated = await call("POST", `/contracts/${id}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body.status).toBe("active");
    expect(activated.body.activated_at).not.toBeNull();

    const again = await call("POST", `/contracts/${id}/activate`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain("already active");
    const archive = await call("POST", `/contracts/${id}/archive`);
    expect(archive.status).toBe(409);
    expect(archive.body.message).toMatch(/active.*archived/);

    const listed = await call("GET", "/contracts?status=active&owner=@acme/data-platform&page=0&size=20", {
      key: a.read,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.content.map((c: { id: string }) => c.id)).toEqual([id]);
    expect(listed.body.content[0].contents).toBeUndefined();
    expect(listed.body.total_elements).toBe(1);
    const byDataset = await call("GET", "/contracts?dataset=public.orders", { key: a.read });
    expect(byDataset.body.total_elements).toBe(1);
    const otherOwner = await call("GET", "/contracts?owner=@someone-else", { key: a.read });
    expect(otherOwner.body.total_elements).toBe(0);

    // publish 1.1.0
    const v11 = ORDERS_YAML.replace("version: 1.0.0", "version: 1.1.0");
    const published = await call("POST", `/contracts/${id}/versions`, {
      body: { contents: v11, changelog: "document status values" },
    });
    expect(published.status).toBe(201);
    expect(published.headers.get("location")).toBe(`/api/v1/contracts/${id}/versions/1.1.0`);
    expect(published.body).toMatchObject({
      version: "1.1.0",
      status: "active",
      changelog: "document status values",
    });
    const same = await call("POST", `/contracts/${id}/versions`, { body: { contents: v11 } });
    expect(same.status).toBe(409);
    expect(same.body.message).toMatch(/No change/);
    const lower = await call("POST", `/contracts/${id}/versions`, {
      body: { contents: ORDERS_YAML.replace("version: 1.0.0", "version: 0.9.0").replace("BLOCK", "ALERT") },
    });
    expect(lower.status).toBe(409);
    expect(lower.body.message).toContain("not greater than the current version 1.1.0");
    const renamed = await call("POST", `/contracts/${id}/versions`, {
      body: { contents: v11.replace("name: orders", "name: other").replace("1.1.0", "1.2.0") },
    });
    expect(renamed.status).toBe(400);
    const afterPublish = await call("GET", `/contracts/${id}`);
    expect(afterPublish.body).toMatchObject({ version: "1.1.0", contents: v11 });

    const versions = await call("GET", `/contracts/${id}/versions`, { key: a.read });
    expect(versions.status).toBe(200);
    expect(versions.body.content.map((v: { version: string }) => v.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(versions.body.content[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    const firstAt = versions.body.content[1].created_at as string;
    const before = await call(
      "GET",
      `/contracts/${id}/versions?created_before=${encodeURIComponent(versions.body.content[0].created_at)}`,
    );
    expect(before.body.content.map((v: { created_at: string }) => v.created_at)).toEqual([firstAt]);
    const one = await call("GET", `/contracts/${id}/versions/1.0.0`);
    expect(one.body.contents).toBe(ORDERS_YAML);

    // assignments
    const resource = { resource_type: "table", resource_id: "warehouse.public.orders" };
    const assigned = await call("POST", `/contracts/${id}/assign`, { key: a.manage, body: resource });
    expect(assigned.status).toBe(201);
    const twice = await call("POST", `/contracts/${id}/assign`, { key: a.manage, body: resource });
    expect(twice.status).toBe(200);
    expect(twice.body.id).toBe(assigned.body.id);
    const assignments = await call("GET", `/contracts/${id}/assignments`);
    expect(assignments.body.content).toHaveLength(1);
    expect(assignments.body.content[0]).toMatchObject(resource);
    const badType = await call("POST", `/contracts/${id}/assign`, {
      body: { resource_type: "bucket", resource_id: "x" },
    });
    expect(badType.status).toBe(400);
    expect(badType.body.details[0].path).toBe("resource_type");

    const deleteActive = await call("DELETE", `/contracts/${id}`);
    expect(deleteActive.status).toBe(409);
    expect(deleteActive.body.message).toContain("active");

    // deprecate with a successor
    const successor = await call("POST", "/contracts", {
      body: {
        name: "orders_v2",
        owner: "@acme/data-platform",
        dataset: { name: "public.orders_v2" },
        schema: { columns: [{ name: "id", type: "bigint", required: true }] },
      },
    });
    expect(successor.status).toBe(201);
    expect(successor.body.version).toBe("1.0.0");
    const missingSuccessor = await call("POST", `/contracts/${id}/deprecate`, {
      body: { reason: "replaced", successor_contract_id: "nope" },
    });
    expect(missingSuccessor.status).toBe(400);
    expect(missingSuccessor.body.details[0].path).toBe("successor_contract_id");
    const deprecated = await call("POST", `/contracts/${id}/deprecate`, {
      body: { reason: "replaced by orders_v2", successor_contract_id: successor.body.id },
    });
    expect(deprecated.status).toBe(200);
    expect(deprecated.body).toMatchObject({
      status: "deprecated",
      deprecation_reason: "replaced by orders_v2",
      successor_contract_id: successor.body.id,
    });

    const deleteAssigned = await call("DELETE", `/contracts/${id}`);
    expect(deleteAssigned.status).toBe(409);
    expect(deleteAssigned.body.message).toContain("assigned");
    expect((await call("POST", `/contracts/${id}/unassign`, { body: resource })).status).toBe(204);
    const unassignAgain = await call("POST", `/contracts/${id}/unassign`, { body: resource });
    expect(unassignAgain.status).toBe(404);
    expect((await call("DELETE", `/contracts/${id}`)).status).toBe(204);
    expect((await call("GET", `/contracts/${id}`)).status).toBe(404);
    expect((await call("GET", `/contracts/${id}/versions`)).status).toBe(404);
  });

  it("rejects bad contracts with field paths or YAML line:column, and duplicate names with 409", async () => {
    const broken = await call("POST", "/contracts", {
      body: {
        contents:
          "name: broken\nversion: 1.0.0\nowner: '@a'\nenforcement: LOUD\ndataset: {name: t}\nschema: {columns: [{name: id, type: int}]}\n",
      },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("invalid_input");
    expect(broken.body.details[0]).toMatchObject({ path: "enforcement", line: 4, column: 14 });
    expect(broken.body.details[0].message).toMatch(/^4:14 /);

    const notYaml = await call("POST", "/contracts", { body: { contents: "name: [unclosed\n" } });
    expect(notYaml.status).toBe(400);
    expect(notYaml.body.details[0].line).toBeGreaterThan(0);

    const fields = await call("POST", "/contracts", {
      body: {
        name: "x",
        owner: "alice",
        dataset: { name: "t" },
        schema: { columns: [{ name: "id", type: "nope" }] },
      },
    });
    expect(fields.status).toBe(400);
    const paths = fields.body.details.map((d: { path: string }) => d.path);
    expect(paths).toContain("owner");
    expect(paths).toContain("schema.columns[0].type");

    const both = await call("POST", "/contracts", { body: { contents: ORDERS_YAML, name: "x" } });
    expect(both.status).toBe(400);

    const yaml = ORDERS_YAML.replace("name: orders", "name: dup");
    expect((await call("POST", "/contracts", { body: { contents: yaml } })).status).toBe(201);
    const dup = await call("POST", "/contracts", { body: { contents: yaml } });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toContain('"dup"');
    // The same name in another installation is fine.
    expect((await call("POST", "/contracts", { key: b.admin, body: { contents: yaml } })).status).toBe(201);
  });

  it("updates metadata in place and publishes a version when the schema changes", async () => {
    const created = await call("POST", "/contracts", {
      body: { contents: ORDERS_YAML.replace("name: orders", "name: put_me") },
    });
    const id = created.body.id;
    const meta = await call("PUT", `/contracts/${id}`, {
      body: { enforcement: "NOTIFY", owner: ["@acme/data-platform", "@alice"], description: "Orders" },
    });
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      enforcement: "NOTIFY",
      owners: ["@acme/data-platform", "@alice"],
      version: "1.0.0",
    });
    const byOwner = await call("GET", "/contracts?owner=@alice");
    expect(byOwner.body.content.map((c: { id: string }) => c.id)).toEqual([id]);

    const schema = {
      columns: [
        { name: "id", type: "bigint", required: true },
        { name: "total", type: "numeric(12,2)" },
      ],
    };
    const bumped = await call("PUT", `/contracts/${id}`, {
      body: { schema, quality: [], changelog: "add total" },
    });
    expect(bumped.status, JSON.stringify(bumped.body)).toBe(200);
    expect(bumped.body.version).toBe("1.1.0");
    expect(bumped.body.contents).toContain("total");
    expect(bumped.body.enforcement).toBe("NOTIFY");
    const versions = await call("GET", `/contracts/${id}/versions`);
    expect(versions.body.content[0]).toMatchObject({ version: "1.1.0", changelog: "add total" });

    const invalid = await call("PUT", `/contracts/${id}`, { body: { schema: { columns: [] } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details[0].path).toBe("schema.columns");
    const unknown = await call("PUT", `/contracts/${id}`, { body: { colour: "red" } });
    expect(unknown.status).toBe(400);
  });

  it("paginates with page/size, totals, and a cursor that continues after the last item", async () => {
    const before = (await call("GET", "/contracts?size=1", { key: a.read })).body.total_elements as number;
    for (let i = 0; i < 23; i++) {
      const res = await call("POST", "/contracts", {
        key: a.manage,
        body: {
          name: `page_${String(i).padStart(2, "0")}`,
          owner: "@acme/paging",
          dataset: { name: `public.page_${i}` },
          schema: { columns: [{ name: "id", type: "integer" }] },
        },
      });
      expect(res.status).toBe(201);
    }
    const first = await call("GET", "/contracts?owner=@acme/paging&size=10", { key: a.read });
    expect(first.body).toMatchObject({ page: 0, size: 10, total_elements: 23, total_pages: 3 });
    expect(first.body.content).toHaveLength(10);
    const third = await call("GET", "/contracts?owner=@acme/paging&size=10&page=2", { key: a.read });
    expect(third.body.content).toHaveLength(3);
    expect(third.body.cursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const res = await call("GET", `/contracts?owner=@acme/paging&size=10${q}`, { key: a.read });
      expect(res.status).toBe(200);
      seen.push(...res.body.content.map((c: { name: string }) => c.name));
      cursor = res.body.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `page_${String(i).padStart(2, "0")}`));

    const all = await call("GET", "/contracts?size=100", { key: a.read });
    expect(all.body.total_elements).toBe(before + 23);
    const tooBig = await call("GET", "/contracts?size=1000", { key: a.read });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.details[0].path).toBe("size");
    const badCursor = await call("GET", "/contracts?cursor=garbage", { key: a.read });
    expect(badCursor.status).toBe(400);
    const badStatus = await call("GET", "/contracts?status=alive", { key: a.read });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.details[0].path).toBe("status");
  });

  it("authenticates with Bearer, X-API-Key and Basic, and answers 401 otherwise", async () => {
    const ok = async (headers: Record<string, string>) =>
      (await fetch(`${h.base}/api/v1/contracts`, { headers })).status;
    expect(await ok({ authorization: `Bearer ${a.read}` })).toBe(200);
    expect(await ok({ "x-api-key": a.read })).toBe(200);
    expect(await ok({ authorization: `Basic ${Buffer.from(`${a.read}:`).toString("base64")}` })).toBe(200);
    expect(await ok({ authorization: `Basic ${Buffer.from(`user:${a.read}`).toString("base64")}` })).toBe(
      200,
    );

    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer cov_nottherealkey" },
      { "x-api-key": "wrong" },
      { authorization: `Basic ${Buffer.from("user:wrong").toString("base64")}` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${h.base}/api/v1/contracts`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.json()).toMatchObject({ code: "unauthorized" });
    }

    const { apiKey, secret } = await createApiKey(h.db, {
      installationId: a.installation.id,
      name: "tmp",
      scope: "read",
    });
    expect(await ok({ authorization: `Bearer ${secret}` })).toBe(200);
    await revokeApiKey(h.db, a.installation.id, apiKey.id);
    const revoked = await call("GET", "/contracts", { key: secret });
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toContain("revoked");
  });

  it("enforces scopes (403) and never shows another installation's objects (404)", async () => {
    const mine = await call("POST", "/contracts", {
      key: a.manage,
      body: { contents: ORDERS_YAML.replace("name: orders", "name: tenant_a") },
    });
    expect(mine.status).toBe(201);
    const id = mine.body.id;

    const readWrite = await call("POST", "/contracts", { key: a.read, body: { contents: ORDERS_YAML } });
    expect(readWrite.status).toBe(403);
    expect(readWrite.body).toMatchObject({ code: "forbidden" });
    expect((await call("POST", `/contracts/${id}/activate`, { key: a.read })).status).toBe(403);
    expect((await call("GET", "/api-keys", { key: a.manage })).status).toBe(403);
    expect(
      (await call("PUT", "/repos/acme/shop/policy", { key: a.manage, body: { max: "NOTIFY" } })).status,
    ).toBe(403);
    expect((await call("GET", "/repos/acme/shop/policy", { key: a.read })).status).toBe(200);

    for (const [method, path] of [
      ["GET", `/contracts/${id}`],
      ["GET", `/contracts/${id}/versions`],
      ["GET", `/contracts/${id}/assignments`],
      ["GET", `/contracts/${id}/violations`],
      ["POST", `/contracts/${id}/activate`],
      ["DELETE", `/contracts/${id}`],
    ] as const) {
      const res = await call(method, path, { key: b.admin });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const theirList = await call("GET", "/contracts?size=100", { key: b.admin });
    expect(theirList.body.content.map((c: { id: string }) => c.id)).not.toContain(id);
    const asSuccessor = await call("POST", "/contracts", {
      key: b.admin,
      body: { contents: ORDERS_YAML.replace("name: orders", "name: b_orders") },
    });
    await call("POST", `/contracts/${asSuccessor.body.id}/activate`, { key: b.admin });
    const crossSuccessor = await call("POST", `/contracts/${asSuccessor.body.id}/deprecate`, {
      key: b.admin,
      body: { reason: "x", successor_contract_id: id },
    });
    expect(crossSuccessor.status).toBe(400);
    const keys = await call("GET", "/api-keys", { key: b.admin });
    const aKeys = await call("GET", "/api-keys", { key: a.admin });
    const bIds = new Set(keys.body.content.map((k: { id: string }) => k.id));
    for (const k of aKeys.body.content) expect(bIds.has(k.id)).toBe(false);
    expect((await call("DELETE", `/api-keys/${aKeys.body.content[0].id}`, { key: b.admin })).status).toBe(
      404,
    );
  });

  it("answers malformed JSON, unknown routes, large bodies and wrong media types with JSON errors", async () => {
    const malformed = await call("POST", "/contracts", { raw: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "invalid_input" });
    expect(malformed.body.message).toContain("Malformed JSON");

    const unknown = await call("GET", "/nowhere");
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("not_found");
    const outside = await fetch(`${h.base}/elsewhere`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ code: "not_found" });

    const big = await call("POST", "/contracts", {
      body: { contents: `# ${"x".repeat(70 * 1024)}\n${ORDERS_YAML}` },
    });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("payload_too_large");

    const text = await fetch(`${h.base}/api/v1/contracts`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.admin}`, "content-type": "text/plain" },
      body: "hello",
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: "unsupported_media_type" });

    const noBody = await call("POST", "/contracts/whatever/deprecate");
    expect([400, 404]).toContain(noBody.status);
    const emptyReason = await call("POST", "/contracts/whatever/deprecate", { body: { reason: "" } });
    expect(emptyReason.status).toBe(400);
    expect(emptyReason.body.details[0].path).toBe("reason");
  });

  it("hides internal errors behind a logged 500", async () => {
    const created = await call("POST", "/contracts", {
      body: { contents: ORDERS_YAML.replace("name: orders", "name: corrupt") },
    });
    await h.db.contract.update({ where: { id: created.body.id }, data: { contents: "name: [" } });
    const res = await call("GET", `/contracts/${created.body.id}?format=odcs`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: "internal", message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain("at ");
    expect(h.logged.length).toBeGreaterThan(0);
  });

  it("records, lists, filters and triages violations", async () => {
    const c = await call("POST", "/contracts", {
      body: { contents: ORDERS_YAML.replace("name: orders", "name: v_orders") },
    });
    const contractId = c.body.id as string;
    const first = await recordViolations(h.db, a.installation.id, [
      violation(1, { contractId }),
      violation(2, { contractId, rule: "column-type-changed", dedupeKey: "acme/shop#2:type" }),
      violation(3, { gitRepo: "acme/other", dedupeKey: "acme/other#3:x" }),
    ]);
    // idempotent: the same facts again update in place
    const again = await recordViolations(h.db, a.installation.id, [
      violation(1, { contractId, message: "updated" }),
    ]);
    expect(again[0]?.id).toBe(first[0]?.id);
    await recordViolations(h.db, b.installation.id, [violation(9)]);

    const all = await call("GET", "/violations", { key: a.read });
    expect(all.body.total_elements).toBe(3);
    const byRule = await call("GET", "/violations?rule=column-type-changed", { key: a.read });
    expect(byRule.body.content.map((v: { pr_number: number }) => v.pr_number)).toEqual([2]);
    const byRepo = await call("GET", "/violations?repo=acme/shop&pr=1", { key: a.read });
    expect(byRepo.body.content).toHaveLength(1);
    expect(byRepo.body.content[0]).toMatchObject({
      message: "updated",
      reviewers: ["alice"],
      status: "open",
    });
    const byContract = await call("GET", `/violations?contract=${contractId}`, { key: a.read });
    expect(byContract.body.total_elements).toBe(2);
    const nested = await call("GET", `/contracts/${contractId}/violations?status=open`, { key: a.read });
    expect(nested.body.total_elements).toBe(2);
    const future = await call("GET", "/violations?since=2999-01-01", { key: a.read });
    expect(future.body.total_elements).toBe(0);
    const badSince = await call("GET", "/violations?since=yesterday", { key: a.read });
    expect(badSince.status).toBe(400);
    expect(badSince.body.details[0].path).toBe("since");

    const id = first[0]!.id;
    const got = await call("GET", `/contract-violations/${id}`, { key: a.read });
    expect(got.status).toBe(200);
    expect((await call("GET", `/contract-violations/${id}`, { key: b.admin })).status).toBe(404);

    const ack = await call("POST", `/contract-violations/${id}/acknowledge`, {
      key: a.manage,
      body: { notes: "looking" },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: "acknowledged", notes: "looking" });
    const ackNoBody = await call("POST", `/contract-violations/${id}/acknowledge`, { key: a.manage });
    expect(ackNoBody.status).toBe(409);
    const resolved = await call("POST", `/contract-violations/${id}/resolve`, {
      key: a.manage,
      body: { resolution: "column restored", resolved_by: "alice" },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: "resolved",
      resolution: "column restored",
      resolved_by: "alice",
    });
    expect(resolved.body.resolved_at).not.toBeNull();
    const reack = await call("POST", `/contract-violations/${id}/acknowledge`, { key: a.manage });
    expect(reack.status).toBe(409);
    expect(reack.body.message).toContain("resolved");
    const noResolution = await call("POST", `/contract-violations/${first[1]!.id}/resolve`, {
      key: a.manage,
      body: {},
    });
    expect(noResolution.status).toBe(400);
    expect(noResolution.body.details[0].path).toBe("resolution");
    const resolvedOnly = await call("GET", "/violations?status=resolved", { key: a.read });
    expect(resolvedOnly.body.content.map((v: { id: string }) => v.id)).toEqual([id]);
  });

  it("validates sample rows into a validation run with violations and sample values", async () => {
    const c = await call("POST", "/contracts", {
      body: { contents: ORDERS_YAML.replace("name: orders", "name: val_orders") },
    });
    const id = c.body.id as string;
    const rows = [
      { id: 1, email: "a@b.c", status: "new" },
      { id: 1, email: "broken", status: "lost" },
      { id: "x", email: null, status: null },
    ];
    const res = await call("POST", `/contracts/${id}/validate`, { key: a.manage, body: { rows } });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/v1/validation-runs/${res.body.id}`);
    expect(res.body).toMatchObject({
      status: "failed",
      rows_evaluated: 3,
      contract_version: "1.0.0",
      rules_not_evaluated: 1,
    });
    // The repeated id fails the column's unique rule and the primary key's alike.
    expect(res.body.rules_failed).toBe(6);
    const byRule = Object.fromEntries(res.body.results.map((r: { rule_id: string }) => [r.rule_id, r]));
    expect(byRule["column:id:unique"]).toMatchObject({ status: "failed", sample_values: [1] });
    expect(byRule["primary_key:unique"]).toMatchObject({ status: "failed", sample_values: [1] });
    expect(byRule.email_format).toMatchObject({ status: "failed", sample_values: ["broken"] });
    expect(byRule.non_negative).toMatchObject({ status: "not_evaluated" });
    expect(byRule.non_negative.reason).toContain("amount_cents");

    const run = await call("GET", `/validation-runs/${res.body.id}`, { key: a.read });
    expect(run.status).toBe(200);
    expect(run.body).toEqual(res.body);
    expect((await call("GET", `/validation-runs/${res.body.id}`, { key: b.admin })).status).toBe(404);

    const violations = await call("GET", `/contracts/${id}/violations?size=100`, { key: a.read });
    expect(violations.body.total_elements).toBe(6);
    const accepted = violations.body.content.find((v: { rule: string }) => v.rule === "data-accepted-values");
    expect(accepted).toMatchObject({
      column: "status",
      sample_values: ["lost"],
      validation_run_id: res.body.id,
    });

    const clean = await call("POST", `/contracts/${id}/validate`, {
      key: a.manage,
      body: { rows: [{ id: 5, email: "x@y", status: "paid" }] },
    });
    expect(clean.body).toMatchObject({ status: "passed", rules_failed: 0 });

    const tooMany = await call("POST", `/contracts/${id}/validate`, {
      key: a.manage,
      body: { rows: Array.from({ length: 10_001 }, () => ({})) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details[0].path).toBe("rows");
    const notObjects = await call("POST", `/contracts/${id}/validate`, {
      key: a.manage,
      body: { rows: [1, 2] },
    });
    expect(notObjects.status).toBe(400);
    expect(notObjects.body.details[0].path).toBe("rows[0]");
    expect(
      (await call("POST", `/contracts/${id}/validate`, { key: a.read, body: { rows: [] } })).status,
    ).toBe(403);
  });

  it("stores repository policies and refuses a floor above the cap", async () => {
    const empty = await call("GET", "/repos/acme/shop/policy", { key: a.read });
    expect(empty.body).toEqual({
      repo: "acme/shop",
      max: null,
      min: null,
      updated_by: null,
      updated_at: null,
    });
    const put = await call("PUT", "/repos/acme/shop/policy", { body: { max: "NOTIFY", min: "RECORD" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ repo: "acme/shop", max: "NOTIFY", min: "RECORD" });
    expect((await call("GET", "/repos/acme/shop/policy", { key: a.read })).body.max).toBe("NOTIFY");
    // The repository is not B's: its policy is not found, exactly like a misspelled one.
    expect((await call("GET", "/repos/acme/shop/policy", { key: b.read })).status).toBe(404);
    expect((await call("PUT", "/repos/acme/shopp/policy", { body: { max: "NOTIFY" } })).status).toBe(404);
    const inverted = await call("PUT", "/repos/acme/shop/policy", { body: { max: "NOTIFY", min: "BLOCK" } });
    expect(inverted.status).toBe(400);
    expect(inverted.body.details[0].path).toBe("min");
    const badLevel = await call("PUT", "/repos/acme/shop/policy", { body: { max: "LOUD" } });
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.details[0].path).toBe("max");
  });

  it("creates API keys whose secret is shown once, lists them without secrets, revokes them", async () => {
    const created = await call("POST", "/api-keys", { body: { name: "ci", scope: "read" } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^cov_[0-9A-Za-z]{40}$/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 12));
    const list = await call("GET", "/api-keys");
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    expect(list.body.content.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({
      name: "ci",
      scope: "read",
    });
    expect((await call("GET", "/contracts", { key: created.body.key })).status).toBe(200);
    const revoked = await call("DELETE", `/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await call("GET", "/contracts", { key: created.body.key })).status).toBe(401);
    const badScope = await call("POST", "/api-keys", { body: { name: "x", scope: "root" } });
    expect(badScope.status).toBe(400);
    expect(badScope.body.details[0].path).toBe("scope");
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a key's bucket is empty, per key", async () => {
    const h = await startApiOn("sqlite", { rateLimit: { perMinute: 3 } });
    try {
      const t = await createTenant(h.db, "acme");
      const get = (key: string) => fetch(`${h.base}/api/v1/contracts`, { headers: { "x-api-key": key } });
      for (let i = 0; i < 3; i++) expect((await get(t.read)).status).toBe(200);
      const limited = await get(t.read);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await limited.json()).toMatchObject({ code: "rate_limited" });
      expect((await get(t.admin)).status).toBe(200);
      expect((await fetch(`${h.base}/api/v1/openapi.json`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it("a client throttled for failed authentications costs the shared bucket store nothing until it may retry", async () => {
    const store = memoryBuckets();
    const calls = { peek: 0, take: 0 };
    const buckets: BucketStore = {
      take: (key, rule) => {
        calls.take++;
        return store.take(key, rule);
      },
      peek: (key, rule) => {
        calls.peek++;
        return store.peek(key, rule);
      },
      close: store.close,
    };
    const h = await startApiOn("sqlite", { buckets, authThrottle: { burst: 3, perMinute: 1 } });
    try {
      const t = await createTenant(h.db, "acme");
      const get = (key: string) => fetch(`${h.base}/api/v1/contracts`, { headers: { "x-api-key": key } });
      const statuses: number[] = [];
      const retryAfter: number[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await get(`cov_wrong${i}`);
        statuses.push(res.status);
        if (res.status === 429) retryAfter.push(Number(res.headers.get("retry-after")));
        await res.body?.cancel();
      }
      expect(statuses).toEqual([...Array(3).fill(401), ...Array(12).fill(429)]);
      // 3 failures counted; the 4th request found the bucket empty; the 11 after it were refused here.
      expect(calls).toEqual({ peek: 4, take: 3 });
      // One token a minute: about a minute to wait, and less as time passes.
      expect(retryAfter[0]).toBeGreaterThan(50);
      expect(retryAfter[0]).toBeLessThanOrEqual(60);
      expect(retryAfter.every((seconds, i) => i === 0 || seconds <= retryAfter[i - 1]!)).toBe(true);
      expect((await get(t.read)).status).toBe(429);
    } finally {
      await h.close();
    }
  });
});
