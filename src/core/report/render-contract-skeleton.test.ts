import { describe, expect, it } from "vitest";
import { parseContract } from "../model/contract.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, TableSchema } from "../model/schema.ts";
import { renderContractSkeleton } from "./render-contract-skeleton.ts";

const column = (name: string, type: Column["type"], nullable = false): Column => ({ name, type, nullable });

const orders: TableSchema = {
  name: "public.orders",
  kind: "table",
  columnsKnown: true,
  primaryKey: { columns: ["id"] },
  uniques: [{ columns: ["reference"] }],
  foreignKeys: [],
  columns: [
    column("id", normalizeType("int8", "postgres")),
    column("reference", normalizeType("varchar(32)", "postgres")),
    column("status", {
      family: "string",
      base: "order_status",
      values: ["new", "paid"],
      raw: "order_status",
    }),
    column("email", normalizeType("text", "postgres"), true),
    column("note", { family: "other", base: "unknown", raw: "" }, true),
  ],
};

describe("renderContractSkeleton", () => {
  it("gives a contract that validates, with enums as accepted values and PII flagged", () => {
    const yaml = renderContractSkeleton(orders, { owner: "@acme/data" });
    const parsed = parseContract(yaml, "skeleton.yaml");
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("; "));
    const columns = Object.fromEntries(parsed.contract.schema.columns.map((c) => [c.name, c]));
    expect(parsed.contract).toMatchObject({ name: "orders", status: "draft", owner: "@acme/data" });
    expect(parsed.contract.schema.primary_key).toEqual(["id"]);
    expect(columns.id).toMatchObject({ type: "bigint", required: true });
    expect(columns.reference).toMatchObject({ type: "varchar(32)", unique: true });
    expect(columns.status).toMatchObject({ type: "string", accepted_values: ["new", "paid"] });
    expect(columns.email).toMatchObject({ type: "text", required: false, pii: true });
    expect(columns.note).toMatchObject({ type: "string" });
  });
});
