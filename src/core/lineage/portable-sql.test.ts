import { describe, expect, it } from "vitest";
import { portableSql } from "./portable-sql.ts";

describe("portableSql", () => {
  it.each([
    ["select payload:context.ip::string as ip from t", "select payload::string as ip from t"],
    ['select e.payload:"User"[0].name from t e', "select e.payload from t e"],
    ["select parse_json(x):a as a from t", "select parse_json(x) as a from t"],
    ["select a::int, b from t", "select a::int, b from t"],
    // Comments become blanks (lines keep their numbers).
    ["select ':not:a:path' as s from t -- c:d", "select ':not:a:path' as s from t       "],
    [
      "select listagg(distinct a, '; ') within group (order by b) as l from t",
      "select listagg(distinct a, '; ' order by b) as l from t",
    ],
    [
      "select first_value(a ignore nulls) over (order by b) from t",
      "select first_value(a ) over (order by b) from t",
    ],
    ["select a,\n  b,\n\nfrom t", "select a,\n  b\n\nfrom t"],
    ["select a, from_date from t", "select a, from_date from t"],
    ["select parse_json(a)::array as skus from t", "select parse_json(a)::text as skus from t"],
  ])("%s", (sql, expected) => {
    expect(portableSql(sql, "snowflake")).toBe(expected);
  });

  it("keeps array slices where `:` is not a VARIANT path", () => {
    expect(portableSql("select a[lo:hi] from t", "postgres")).toBe("select a[lo:hi] from t");
  });
});
