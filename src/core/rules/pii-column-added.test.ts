import { describe, expect, it } from "vitest";
import { looksLikePii } from "./pii.ts";
import { brief, ORDERS, runCase, table } from "./rule-test-kit.ts";

const pk = { primaryKey: { columns: ["id"] } };

describe("pii-column-added", () => {
  it.each([
    ["customer_email", true],
    ["phone_number", true],
    ["ssn", true],
    ["firstName", true],
    ["last_name", true],
    ["shipping_address", true],
    ["date_of_birth", true],
    ["ip_address", true],
    ["credit_card_number", true],
    ["iban", true],
    ["passport_number", true],
    ["email_verified", false],
    ["status", false],
    ["shipped_at", false],
    ["tip_amount", false],
  ])("%s looks like PII: %s", (name, expected) => {
    expect(looksLikePii(name)).toBe(expected);
  });

  it.each([
    { name: "by name", spec: "phone varchar(20)", extra: {}, expected: [["pii-column-added", "phone"]] },
    {
      name: "by classification",
      spec: "notes text",
      extra: { classification: "pii" },
      expected: [["pii-column-added", "notes"]],
    },
    { name: "not PII", spec: "notes text", extra: {}, expected: [] },
  ])("$name", ({ spec, extra, expected }) => {
    const head = table("public.orders", `id bigint!, email varchar(100), status text!, ${spec}`, pk);
    const last = head.columns.at(-1)!;
    Object.assign(last, extra);
    const violations = runCase({ base: [ORDERS], head: [head] });
    expect(brief(violations).map(([rule, column]) => [rule, column])).toEqual(expected);
  });
});
