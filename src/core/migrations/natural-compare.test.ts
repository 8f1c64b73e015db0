import { describe, expect, it } from "vitest";
import { compareFlywayVersions, naturalCompare } from "./natural-compare.ts";

describe("naturalCompare", () => {
  it.each([
    [
      ["10_x.sql", "2_x.sql", "1_x.sql"],
      ["1_x.sql", "2_x.sql", "10_x.sql"],
    ],
    [
      ["002_b.sql", "10_c.sql", "001_a.sql"],
      ["001_a.sql", "002_b.sql", "10_c.sql"],
    ],
    [
      ["20240101000000_b.sql", "9_a.sql"],
      ["9_a.sql", "20240101000000_b.sql"],
    ],
    [
      ["a/v10/x.sql", "a/v9/x.sql"],
      ["a/v9/x.sql", "a/v10/x.sql"],
    ],
    [
      ["1_b.sql", "01_b.sql", "1_a.sql"],
      ["1_a.sql", "01_b.sql", "1_b.sql"],
    ],
  ])("sorts %j", (input, expected) => {
    expect([...input].sort(naturalCompare)).toEqual(expected);
  });
});

describe("compareFlywayVersions", () => {
  it.each([
    ["1", "1.1", -1],
    ["1.1", "1_2", -1],
    ["1_9", "1_10", -1],
    ["1.1", "2", -1],
    ["2", "10", -1],
    ["10", "10.1", -1],
    ["1.0", "1", 0],
    ["2024.01.02", "2024.1.2", 0],
    ["3", "2.9.9", 1],
  ])("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareFlywayVersions(a, b))).toBe(sign);
  });
});
