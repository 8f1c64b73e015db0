import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, startApiOn } from "../helpers/api-server.ts";

const ORDERS_YAML = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true, accepted_values: [new, paid] }
    - { name: amount, type: "numeric(12,2)" }
`;

const COLUMNS = [
  { name: "id", type: "bigint", nullable: false },
  { name: "email", type: "text" },
  { name: "status", type: "text", required: true },
  { name: "amount", type: "numeric(12,2)" },
];

// biome-ignore lint/suspicious/noExplicitAny: assertions read response bodies loosely; toMatchObject checks them
type Reply = { status: number; body: any };

describe.each(["sqlite", "postgres"] as const)("POST /api/v1/check on %s", (kind) => {
  let h: Awaited<ReturnType<typeof startApiOn>>;
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;

  const check = async (body: unknown, key: string | null = a.read): Promise<Reply> => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${h.base}/api/v1/check`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    h = await startApiOn(kind, { bodyLimitBytes: 512 * 1024 });
    a = await createTenant(h.db, "acme");
    b = await createTenant(h.db, "globex");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("passes a schema that keeps the contract", async () => {
    const res = await check({ contract: ORDERS_YAML, schema: { columns: COLUMNS, primary_key: ["id"] } });
    expect(res).toMatchObject({
      status: 200,
      body: {
        result: "pass",
        severity: 0,
        violations: [],
        diff: { removed: [], added: [], type_changed: [], nullability_changed: [] },
      },
    });
  });

  it("scores a removed required column as breaking (40), with the engine's message and help", async () => {
    const res = await check({
      contract: ORDERS_YAML,
      schema: { columns: COLUMNS.filter((c) => c.name !== "status") },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: "breaking",
      severity: 40,
      diff: { removed: [{ name: "status", type: "string", required: true }] },
      violations: [
        {
          rule: "contract-column-missing",
          severity: "error",
          column: "status",
          expected: "status (string, required)",
          actual: "missing",
        },
      ],
    });
    expect(res.body.violations[0].message).toContain("public.orders.status");
    expect(res.body.violations[0].help).toContain("Add status");
  });

  it("scores an optional column removed (20) and a type change (30) as warnings", async () => {
    const removed = await check({
      contract: ORDERS_YAML,
      schema: { columns: COLUMNS.filter((c) => c.name !== "email") },
    });
    expect(removed.body).toMatchObject({ result: "warning", severity: 20 });
    const changed = await check({
      contract: ORDERS_YAML,
      schema: { columns: COLUMNS.map((c) => (c.name === "amount" ? { ...c, type: "text" } : c)) },
    });
    expect(changed.body).toMatchObject({
      result: "warning",
      severity: 30,
      diff: { type_changed: [{ name: "amount", expected: "numeric(12,2)", actual: "text" }] },
      violations: [{ rule: "contract-type-mismatch", column: "amount" }],
    });
  });

  it("checks sample rows: missing fields, nulls in required fields, added fields", async () => {
    const ok = await check({
      contract: ORDERS_YAML,
      rows: [
        { id: 1, email: "a@b.co", status: "new", amount: 12.5 },
        { id: 2, email: null, status: "paid", amount: "3.10" },
      ],
    });
    expect(ok.body).toMatchObject({ result: "pass", severity: 0 });
    const drifted = await check({
      contract: ORDERS_YAML,
      rows: [
        { id: 1, status: "new", amount: 1, coupon: "X" },
        { id: 2, status: null, amount: 2, coupon: null },
      ],
    });
    // optional email removed (20) + required status nullable (25); an added field is no violation
    expect(drifted.body).toMatchObject({
      result: "breaking",
      severity: 45,
      diff: {
        removed: [{ name: "email", required: false }],
        added: [{ name: "coupon", nullable: true }],
        nullability_changed: [{ name: "status" }],
      },
    });
  });

  it("checks a registered contract by id (a draft too), and never another installation's", async () => {
    const created = await fetch(`${h.base}/api/v1/contracts`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.manage}`, "content-type": "application/json" },
      body: JSON.stringify({ contents: ORDERS_YAML }),
    });
    expect(created.status).toBe(201);
    const { id, status } = (await created.json()) as { id: string; status: string };
    expect(status).toBe("draft");
    const res = await check({ contract_id: id, schema: { columns: COLUMNS.slice(0, 1) } });
    expect(res.body).toMatchObject({ result: "breaking", severity: 80 });
    const foreign = await check({ contract_id: id, schema: { columns: COLUMNS } }, b.read);
    expect(foreign.status).toBe(404);
  });

  it("accepts the contract as JSON fields", async () => {
    const res = await check({
      contract: {
        name: "events",
        owner: "@acme/data",
        dataset: { name: "events" },
        schema: { columns: [{ name: "id", type: "uuid", required: true }] },
      },
      rows: [{ id: "00000000-0000-4000-8000-000000000000" }, { id: 7 }],
    });
    expect(res.body).toMatchObject({
      result: "warning",
      severity: 30,
      diff: { type_changed: [{ name: "id", expected: "uuid", actual: "string" }] },
    });
  });

  it.each([
    ["no contract", { schema: { columns: COLUMNS } }, "exactly one of `contract_id`"],
    [
      "two contracts",
      { contract: ORDERS_YAML, contract_id: "x", schema: { columns: COLUMNS } },
      "exactly one of `contract_id`",
    ],
    ["nothing to check", { contract: ORDERS_YAML }, "exactly one of `rows`"],
    [
      "rows and a schema",
      { contract: ORDERS_YAML, rows: [{ id: 1 }], schema: { columns: COLUMNS } },
      "exactly one of `rows`",
    ],
    [
      "an unknown type",
      {
        contract: ORDERS_YAML,
        schema: {
          columns: [
            { name: "id", type: "bigint" },
            { name: "x", type: "strng" },
          ],
        },
      },
      'schema.columns[1].type "strng" (column x) is not a known type',
    ],
    [
      "an invalid YAML contract",
      { contract: "name: orders\nversion: 1.0.0\nowner: nobody\n", rows: [{ id: 1 }] },
      "Invalid contract YAML at 1:1: dataset is required",
    ],
    ["invalid JSON contract fields", { contract: { name: "x" }, rows: [{ id: 1 }] }, "Invalid contract"],
  ])("rejects %s with 400", async (_, body, message) => {
    const res = await check(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_input");
    expect(res.body.message).toContain(message);
  });

  it("gives line and column for a contract YAML error", async () => {
    const res = await check({
      contract: ORDERS_YAML.replace("enforcement: BLOCK", "enforcement: LOUD"),
      rows: [{ id: 1 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toMatchObject({ line: 4, column: 14 });
  });

  it("caps the sample at 10,000 rows and needs a key", async () => {
    const tooMany = await check({ contract: ORDERS_YAML, rows: Array.from({ length: 10_001 }, () => ({})) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details[0].path).toBe("rows");
    expect((await check({ contract: ORDERS_YAML, rows: [{ id: 1 }] }, null)).status).toBe(401);
  });
});
