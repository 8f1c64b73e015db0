import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { isCovenantError } from "../errors.ts";
import { type Contract, formatContractIssue, parseContract } from "./contract.ts";
import { exportOdcs, importOdcs } from "./odcs.ts";

const COVENANT = `name: orders
version: 1.2.0
status: active
owner: ["@acme/data-platform", "@octocat"]
enforcement: BLOCK
description: One row per customer order.
dataset: { type: table, name: public.orders }
restrict_pii: true
schema:
  primary_key: [tenant_id, id]
  columns:
    - { name: tenant_id, type: integer, required: true }
    - { name: id, type: bigint, required: true, unique: true }
    - { name: email, type: string, required: false, pii: true, description: Buyer e-mail }
    - { name: phone, type: string, pii: true, classification: restricted }
    - { name: ip, type: inet, pii: false }
    - { name: status, type: varchar(16), required: true, accepted_values: [new, paid, shipped] }
    - { name: amount, type: "numeric(12,2)", classification: internal }
    - { name: external_ref, type: uuid }
    - { name: payload, type: json }
    - { name: tags, type: "text[]" }
    - { name: created_at, type: timestamptz, required: true }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+$' }
  - { id: id_not_null, type: not_null, column: id }
  - { id: id_unique, type: unique, column: id }
  - { id: status_values, type: accepted_values, column: status, values: [new, paid] }
  - { id: amount_range, type: range, column: amount, min: 0, max: 1000000, description: no refunds here }
  - { id: status_length, type: length, column: status, min: 3, max: 16 }
  - { id: non_negative, type: sql, expression: "amount >= 0" }
  - { id: daily_rows, type: row_count, min: 1 }
  - { id: audit, type: custom, engine: soda, implementation: "checks for orders: [row_count > 0]" }
sla:
  freshness: { column: created_at, max_lag_minutes: 90 }
  completeness_pct: 99.5
deprecation: { reason: replaced by orders_v2, successor: orders_v2 }
`;

/** A realistic ODCS v3.0.2 document, as a producer team would write it. */
const ODCS = `apiVersion: v3.0.2
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: seller_payments
version: 1.1.0
status: active
domain: seller
dataProduct: payments
tenant: ClimateQuantumInc
description:
  purpose: Views built on top of the seller tables.
  limitations: Data based on seller perspective, no buyer information
  usage: Predict sales over time
schema:
  - name: payments
    physicalName: finance.seller_payments
    physicalType: table
    logicalType: object
    businessName: Seller payments
    description: Payments made to sellers
    tags: [finance]
    properties:
      - name: payment_id
        logicalType: integer
        physicalType: bigint
        primaryKey: true
        primaryKeyPosition: 1
        required: true
        unique: true
        businessName: payment identifier
        criticalDataElement: true
      - name: txn_ref_dt
        logicalType: date
        physicalType: date
        required: false
        partitioned: true
        partitionKeyPosition: 1
        classification: public
        examples: ["2022-10-03"]
      - name: rcvr_cntry_code
        logicalType: string
        physicalType: varchar(2)
        required: false
        classification: restricted
        description: Receiver country code
        quality:
          - type: library
            rule: validValues
            validValues: [FR, DE, US]
      - name: rcvr_email
        logicalType: string
        classification: pii
        quality:
          - name: email_not_null
            type: library
            rule: nullCheck
            mustBe: 0
      - name: amount
        logicalType: number
        physicalType: decimal(18,2)
        required: true
      - name: updated_at
        logicalType: timestamp
        physicalType: timestamp with time zone
        required: true
    quality:
      - name: enough_rows
        type: library
        rule: rowCount
        mustBeGreaterThanOrEqualTo: 100
        dimension: completeness
      - name: positive_amounts
        type: sql
        query: SELECT COUNT(*) FROM finance.seller_payments WHERE amount < 0
        mustBe: 0
      - type: text
        description: Amounts are in the seller's currency.
team:
  - username: ceastwood
    role: Data Scientist
    dateIn: "2022-08-02"
  - username: acme/payments-team
    role: owner
roles:
  - role: microstrategy_user_opr
    access: read
slaProperties:
  - property: latency
    value: 4
    unit: h
    element: payments.updated_at
  - property: retention
    value: 3
    unit: y
support:
  - channel: "#product-help"
    tool: slack
customProperties:
  - property: refRulesetName
    value: gcsc.ruleset.name
contractCreatedTs: "2022-11-15T02:59:43+00:00"
`;

const covenant = (text: string): Contract => {
  const r = parseContract(text, "c.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatContractIssue).join("\n"));
  return r.contract;
};

const sortQuality = (c: Contract): Contract => ({
  ...c,
  quality: c.quality ? [...c.quality].sort((a, b) => a.id.localeCompare(b.id)) : undefined,
});

describe("Covenant -> ODCS -> Covenant", () => {
  it("is the identity for every field both express", () => {
    const original = covenant(COVENANT);
    const odcs = exportOdcs(original);
    // Through YAML text, as a real export would be written and read back.
    const back = parseContract(stringify(odcs), "orders.odcs.yaml");
    expect(back.ok && back.format).toBe("odcs");
    if (!back.ok) return;
    // ODCS files quality under properties: order is per column, then dataset-wide.
    expect(sortQuality(back.contract)).toEqual(sortQuality(original));
  });

  it("keeps a minimal contract with defaults", () => {
    const original = covenant(
      `name: m\nversion: 0.1.0\nowner: "@me"\ndataset: { type: dbt_model, name: dim_users }\nschema:\n  columns: [{ name: id, type: integer }]\n`,
    );
    expect(importOdcs(exportOdcs(original))).toEqual(original);
  });

  it("writes the ODCS shape", () => {
    const odcs = exportOdcs(covenant(COVENANT));
    expect(odcs).toMatchObject({
      apiVersion: "v3.0.2",
      kind: "DataContract",
      id: "orders",
      name: "orders",
      version: "1.2.0",
      status: "active",
      description: { purpose: "One row per customer order." },
      team: [
        { username: "@acme/data-platform", role: "owner" },
        { username: "@octocat", role: "owner" },
      ],
      slaProperties: [
        { property: "latency", value: 90, unit: "m", element: "orders.created_at" },
        { property: "completeness", value: 99.5, unit: "percent" },
      ],
      customProperties: expect.arrayContaining([
        { property: "enforcement", value: "BLOCK" },
        { property: "restrictPii", value: true },
        { property: "datasetType", value: "table" },
      ]),
    });
    const [object] = odcs.schema as Array<Record<string, unknown>>;
    expect(object).toMatchObject({
      name: "orders",
      physicalName: "public.orders",
      logicalType: "object",
      physicalType: "table",
    });
    const props = object?.properties as Array<Record<string, unknown>>;
    const byName = (n: string) => props.find((p) => p.name === n);
    expect(byName("tenant_id")).toMatchObject({
      logicalType: "integer",
      required: true,
      primaryKey: true,
      primaryKeyPosition: 1,
    });
    expect(byName("tenant_id")).not.toHaveProperty("physicalType");
    expect(byName("id")).toMatchObject({ physicalType: "bigint", primaryKeyPosition: 2, unique: true });
    expect(byName("email")).toMatchObject({ logicalType: "string", classification: "pii" });
    expect(byName("external_ref")).toMatchObject({ logicalType: "string", physicalType: "uuid" });
    expect(byName("payload")).toMatchObject({ logicalType: "object", physicalType: "json" });
    expect(byName("tags")).toMatchObject({ logicalType: "array", physicalType: "text[]" });
    expect(byName("created_at")).toMatchObject({ logicalType: "timestamp", physicalType: "timestamptz" });
    expect(byName("id")?.quality).toEqual([
      { name: "id_not_null", type: "library", rule: "nullCheck", mustBe: 0 },
      { name: "id_unique", type: "library", rule: "duplicateCount", mustBe: 0 },
    ]);
  });
});

describe("ODCS -> Covenant -> ODCS", () => {
  it("imports a realistic ODCS v3 document", () => {
    const r = parseContract(ODCS, "contracts/payments.odcs.yaml");
    expect(r.ok && r.format).toBe("odcs");
    if (!r.ok) return;
    const c = r.contract;
    expect(c).toMatchObject({
      name: "seller_payments",
      version: "1.1.0",
      status: "active",
      owner: "@acme/payments-team",
      enforcement: "RECORD",
      description: "Views built on top of the seller tables.",
      dataset: { type: "table", name: "finance.seller_payments" },
      schema: { primary_key: ["payment_id"] },
      sla: { freshness: { column: "updated_at", max_lag_minutes: 240 } },
    });
    expect(c.schema.columns).toEqual([
      { name: "payment_id", type: "bigint", required: true, unique: true },
      { name: "txn_ref_dt", type: "date", required: false, classification: "public" },
      {
        name: "rcvr_cntry_code",
        type: "varchar(2)",
        required: false,
        classification: "restricted",
        description: "Receiver country code",
        accepted_values: ["FR", "DE", "US"],
      },
      { name: "rcvr_email", type: "string", required: false, pii: true },
      { name: "amount", type: "decimal(18,2)", required: true },
      { name: "updated_at", type: "timestamp with time zone", required: true },
    ]);
    expect(c.quality).toEqual([
      { id: "email_not_null", type: "not_null", column: "rcvr_email" },
      { id: "enough_rows", type: "row_count", min: 100 },
      {
        id: "positive_amounts",
        type: "sql",
        query: "SELECT COUNT(*) FROM finance.seller_payments WHERE amount < 0",
      },
    ]);
  });

  it("keeps the shared fields on export", () => {
    const source = parse(ODCS) as Record<string, unknown>;
    const again = exportOdcs(importOdcs(source));
    const pick = (doc: Record<string, unknown>) => {
      const [object] = doc.schema as Array<Record<string, unknown>>;
      return {
        apiVersion: String(doc.apiVersion).slice(0, 2),
        kind: doc.kind,
        name: doc.name,
        version: doc.version,
        status: doc.status,
        purpose: (doc.description as Record<string, unknown>).purpose,
        physicalName: object?.physicalName,
        physicalType: object?.physicalType,
        properties: ((object?.properties ?? []) as Array<Record<string, unknown>>).map((p) => ({
          name: p.name,
          logicalType: p.logicalType,
          // A physicalType that only repeats the logical type carries nothing to keep.
          physicalType: p.physicalType ?? p.logicalType,
          required: p.required ?? false,
          unique: p.unique,
          primaryKey: p.primaryKey,
          primaryKeyPosition: p.primaryKeyPosition,
          classification: p.classification,
        })),
        owners: (doc.team as Array<Record<string, unknown>>)
          .filter((m) => m.role === "owner")
          .map((m) => String(m.username).replace(/^@/, "")),
        latencyMinutes: (doc.slaProperties as Array<Record<string, unknown>>)
          .filter((s) => s.property === "latency")
          .map((s) => Number(s.value) * (s.unit === "h" ? 60 : 1)),
      };
    };
    expect(pick(again)).toEqual(pick(source));
  });
});

describe("importOdcs errors", () => {
  const base = parse(ODCS) as Record<string, unknown>;
  const table: Array<[string, Record<string, unknown>, RegExp]> = [
    ["v2 document", { ...base, apiVersion: "v2.2.2" }, /apiVersion "v2.2.2" is not supported/],
    [
      "two tables",
      { ...base, schema: [...(base.schema as unknown[]), ...(base.schema as unknown[])] },
      /exactly one dataset/,
    ],
    ["no schema", { ...base, schema: undefined }, /describes 0 schema objects/],
    ["bad version", { ...base, version: "one" }, /version "one" is not a semantic version/],
    ["no owner", { ...base, team: [] }, /owner is required/],
    ["bad status", { ...base, status: "frozen" }, /status must be one of/],
  ];
  it.each(table)("%s", (_label, doc, message) => {
    let caught: unknown;
    try {
      importOdcs(doc);
    } catch (error) {
      caught = error;
    }
    expect(isCovenantError(caught) && caught.code).toBe("invalid_input");
    expect((caught as Error).message).toMatch(message);
  });

  it("points at the ODCS line when parsed from text", () => {
    const r = parseContract(
      ODCS.replace("physicalType: varchar(2)", "physicalType: varchr(2)").replace(
        "logicalType: string\n        physicalType: varchr",
        "logicalType: strng\n        physicalType: varchr",
      ),
      "p.yaml",
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatContractIssue(r.errors[0]!)).toMatch(
      /^p\.yaml:42:23 ODCS import: schema\.columns\[2\]\.type "varchr\(2\)" is not a known type/,
    );
  });
});
