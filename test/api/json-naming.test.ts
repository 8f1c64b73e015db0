// One naming convention for every JSON object the API emits: snake_case (docs/api.md). The
// served OpenAPI document is walked schema by schema (components and inline, requests and
// responses, query parameters), and real answers of a running server are walked key by key.
// camelCase is allowed only for the documented input aliases, in the requests that accept them.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_ALIASES } from "../../src/api/input-aliases.ts";
import { caller } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import {
  type Exempt,
  nameSites,
  namingProblems,
  nonSnakeKeys,
  type OpenApiDocument,
} from "../helpers/json-naming.ts";
import { makeSourceFiles, ORDERS_CONTRACT, type SourceFiles } from "../helpers/source-fixtures.ts";

describe("the naming walkers", () => {
  const doc = (extra: Partial<OpenApiDocument["paths"][string][string]>, schemas = {}): OpenApiDocument => ({
    paths: { "/api/v1/contracts": { post: extra } },
    components: { schemas },
  });
  const body = (properties: Record<string, { deprecated?: boolean }>) => ({
    content: { "application/json": { schema: { properties } } },
  });

  it("flags camelCase in responses, in $ref'd and nested schemas, and in unreferenced components", () => {
    const problems = namingProblems(
      doc(
        {
          responses: {
            200: {
              content: {
                "application/json": {
                  schema: {
                    properties: { created_at: {}, items: { items: { $ref: "#/components/schemas/X" } } },
                  },
                },
              },
            },
          },
        },
        {
          X: {
            properties: {
              contractId: {},
              nested: { properties: { deep: { anyOf: [{ properties: { aB: {} } }] } } },
            },
          },
          Lonely: { properties: { totalPages: {} } },
        },
      ),
    );
    expect(problems.join("\n")).toMatch(/"contractId"/);
    expect(problems.join("\n")).toMatch(/"aB"/);
    expect(problems.join("\n")).toMatch(/"totalPages" .*|unreferenced/);
    expect(problems).toHaveLength(3);
  });

  it("accepts an alias only deprecated, in a request of an operation that lists it", () => {
    const alias = { enforcementLevel: { deprecated: true } };
    expect(namingProblems(doc({ requestBody: body(alias) }))).toEqual([]);
    expect(namingProblems(doc({ requestBody: body({ enforcementLevel: {} }) }))).toHaveLength(1);
    expect(
      namingProblems(
        doc({ responses: { 200: { content: { "application/json": { schema: { properties: alias } } } } } }),
      ),
    ).toHaveLength(1);
    expect(
      namingProblems({ paths: { "/api/v1/scans/{id}": { get: { requestBody: body(alias) } } } }),
    ).toHaveLength(1);
    expect(namingProblems(doc({ requestBody: body({ gitHash: { deprecated: true } }) }))).toHaveLength(1);
  });

  it("finds camelCase keys in values, except below exempt paths", () => {
    const value = { ok_key: [{ sample_values: [{ userKey: 1 }] }], badKey: { inner_key: { alsoBad: 1 } } };
    expect(nonSnakeKeys(value)).toEqual([
      "$.ok_key[0].sample_values[0].userKey",
      "$.badKey",
      "$.badKey.inner_key.alsoBad",
    ]);
    expect(nonSnakeKeys(value, (path) => /\.sample_values\[\d+\]$/.test(path))).toEqual([
      "$.badKey",
      "$.badKey.inner_key.alsoBad",
    ]);
  });
});

describe("docs/api.md", () => {
  it("lists exactly the input aliases the API accepts", () => {
    const text = readFileSync(resolve(import.meta.dirname, "../../docs/api.md"), "utf8");
    const section = text.slice(text.indexOf("## Input aliases"), text.indexOf("## Renamed"));
    const rows = section
      .split("\n")
      .filter((line) => /^\| `/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const documented = rows.map(([, alias, name, where, operations]) => ({
      alias: alias?.replaceAll("`", ""),
      name: name?.replaceAll("`", ""),
      in: where,
      operations: operations?.split(", ").map((op) => op.replaceAll("`", "")),
    }));
    expect(documented).toEqual(
      INPUT_ALIASES.map((a) => ({ alias: a.alias, name: a.name, in: a.in, operations: [...a.operations] })),
    );
  });
});

/**
 * Keys below these are the user's data, not Covenant's names: the values a rule found in the data
 * (a JSON column's value is an object with the data's own keys), and the contract document an
 * infer answers (its keys are the contract format's, docs/contracts.md).
 */
const USER_DATA: Exempt = (path) => /\.sample_values\[\d+\]$/.test(path) || /^\$\.contract$/.test(path);

describe("the served API", () => {
  let files: SourceFiles;
  let cov: CovenantServer;
  let call: ReturnType<typeof caller>;
  let doc: OpenApiDocument;
  const seen: Array<{ what: string; body: unknown }> = [];

  beforeAll(async () => {
    files = makeSourceFiles();
    cov = await startCovenant({ kind: "sqlite", filesRoot: files.root, env: {} });
    files.forInstallation(cov.tenant.installation.id);
    const manage = caller(cov.base, () => cov.tenant.manage);
    // Every answer of this file's calls is kept and walked at the end.
    call = async (method, path, body, key) => {
      const reply = await manage(method, path, body, key);
      if (reply.body !== undefined && typeof reply.body === "object")
        seen.push({ what: `${method} ${path} -> ${reply.status}`, body: reply.body });
      return reply;
    };
    const res = await fetch(`${cov.base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  }, 60_000);

  afterAll(async () => {
    await cov?.close();
    files?.cleanup();
  });

  it("declares every property and query parameter in snake_case, aliases aside", () => {
    const sites = nameSites(doc);
    // The walk reaches inline and component schemas of both sides (a walker that saw nothing passes).
    expect(sites.length).toBeGreaterThan(300);
    expect(sites.some((s) => s.side === "response" && s.name === "rows_evaluated")).toBe(true);
    expect(sites.some((s) => s.side === "request" && s.name === "primary_key")).toBe(true);
    expect(namingProblems(doc)).toEqual([]);
  });

  it("documents each input alias where the table says it is accepted, deprecated, and nowhere else", () => {
    const sites = nameSites(doc);
    for (const alias of INPUT_ALIASES) {
      const where = sites.filter((s) => s.name === alias.alias);
      expect(new Set(where.map((s) => s.operation)), alias.alias).toEqual(new Set(alias.operations));
      for (const site of where) {
        expect(site, alias.alias).toMatchObject({ side: "request", deprecated: true });
        // Its canonical field is declared beside it.
        expect(
          sites.some((s) => s.operation === site.operation && s.name === alias.name && !s.deprecated),
        ).toBe(true);
      }
    }
  });

  it("answers in snake_case everywhere a client looks, and takes the aliases on input", async () => {
    const created = await call("POST", "/contracts", { contents: ORDERS_CONTRACT });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toHaveProperty("created_at");
    expect(created.body).not.toHaveProperty("createdAt");

    // Gable's `enforcementLevel` sets `enforcement`; the answer says `enforcement` only.
    const aliased = await call("PUT", `/contracts/${id}`, { enforcementLevel: "NOTIFY" });
    expect(aliased.status, aliased.text).toBe(200);
    expect(aliased.body.enforcement).toBe("NOTIFY");
    expect(aliased.body).not.toHaveProperty("enforcementLevel");
    const both = await call("PUT", `/contracts/${id}`, { enforcement: "BLOCK", enforcementLevel: "ALERT" });
    expect(both.status).toBe(400);
    expect(both.body.message).toContain("`enforcementLevel` is an alias of `enforcement`");
    const fromFields = await call("POST", "/contracts", {
      name: "customers",
      owner: "@acme/data-platform",
      enforcementLevel: "ALERT",
      dataset: { name: "public.customers" },
      schema: { columns: [{ name: "id", type: "integer" }] },
    });
    expect(fromFields.status, fromFields.text).toBe(201);
    expect(fromFields.body.enforcement).toBe("ALERT");

    const future = encodeURIComponent("2999-01-01T00:00:00Z");
    const past = encodeURIComponent("2000-01-01T00:00:00Z");
    for (const query of [`created_before=${future}`, `createdBefore=${future}`])
      expect((await call("GET", `/contracts/${id}/versions?${query}`)).body.total_elements, query).toBe(1);
    for (const query of [`created_before=${past}`, `createdBefore=${past}`])
      expect((await call("GET", `/contracts/${id}/versions?${query}`)).body.total_elements, query).toBe(0);

    const source = await call("POST", "/sources", { name: "shop", location: "shop.db" });
    expect(source.status, source.text).toBe(201);
    const run = await call("POST", `/contracts/${id}/validate`, { source_id: source.body.id });
    expect(run.status, run.text).toBe(201);
    expect(run.body.results.some((r: { sample_values: unknown[] }) => r.sample_values.length > 0)).toBe(true);
    const rows = await call("POST", `/contracts/${id}/validate`, {
      // An id that is a JSON object: the type rule's sample is that object, keys and all.
      rows: [{ id: { someKey: 1 }, email: "x", status: "gone", amount_cents: -1 }],
    });
    expect(rows.status, rows.text).toBe(201);
    await call("GET", `/validation-runs/${run.body.id}`);
    const violations = await call("GET", "/violations?size=5");
    expect(violations.body.total_elements).toBeGreaterThan(0);
    const violation = violations.body.content[0];
    await call("GET", `/contract-violations/${violation.id}`);
    await call("POST", `/contract-violations/${violation.id}/acknowledge`, {});
    for (const query of ["repo=acme/shop", "gitRepo=acme/shop", "pr=1", "prNumber=1"])
      expect((await call("GET", `/violations?${query}`)).status, query).toBe(200);
    expect((await call("GET", "/violations?repo=acme/shop&gitRepo=acme/other")).status).toBe(400);

    const scan = await call("POST", `/contracts/${id}/verify`, { source_id: source.body.id });
    expect(scan.status, scan.text).toBe(201);
    let finished: { status: string } | undefined;
    for (let i = 0; i < 600 && !finished; i++) {
      const polled = await call("GET", `/scans/${scan.body.id}`);
      if (!["queued", "running"].includes(polled.body.status)) finished = polled.body;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(finished?.status).toBe("failed");
    await call("GET", `/scans/${scan.body.id}/logs`);
    await call("GET", `/contracts/${id}/scans`);

    await call("POST", "/check", { contract_id: id, schema: { columns: [{ name: "id", type: "text" }] } });
    await call("POST", "/check", { contract_id: id, rows: [{ id: 1, status: "new" }] });
    await call("POST", "/infer", { rows: [{ id: 1, someColumn: "a" }], dataset: "public.things" });
    await call("POST", `/contracts/${id}/assign`, { resource_type: "table", resource_id: "w.public.orders" });
    await call("GET", `/contracts/${id}/assignments`);
    await call("GET", `/contracts/${id}?format=odcs`);
    await call("GET", "/contracts");
    await call("GET", "/sources");
    await call("GET", `/sources/${source.body.id}/tables`);
    await call("GET", "/repos/acme/shop/policy", undefined, cov.tenant.admin);
    await call("PUT", "/repos/acme/shop/policy", { max: "NOTIFY" }, cov.tenant.admin);
    await call("POST", "/api-keys", { name: "naming", scope: "read" }, cov.tenant.admin);
    await call("GET", "/api-keys", undefined, cov.tenant.admin);
    await call("POST", "/contracts", { contents: "name: [" });
    await call("GET", "/contracts/nope");

    const walked = seen.map(({ what, body }) => ({ what, bad: nonSnakeKeys(body, USER_DATA) }));
    expect(walked.length).toBeGreaterThan(30);
    expect(walked.filter((w) => w.bad.length > 0)).toEqual([]);
    // The exemption is for user data only: the JSON column's own key was there, below sample_values.
    expect(nonSnakeKeys(rows.body)).toEqual(
      expect.arrayContaining([expect.stringMatching(/sample_values\[0\]\.someKey$/)]),
    );
  }, 120_000);
});
