import { describe, expect, it } from "vitest";
import { diffLines } from "./line-diff.ts";

describe("diffLines", () => {
  it.each([
    ["a\nb\nc", "a\nb\nc", ["=a", "=b", "=c"]],
    ["a\nb\nc", "a\nc", ["=a", "-b", "=c"]],
    ["a\nc", "a\nb\nc", ["=a", "+b", "=c"]],
    ["version: 1.0.0\nx", "version: 1.1.0\nx", ["-version: 1.0.0", "+version: 1.1.0", "=x"]],
    ["", "a", ["-", "+a"]],
  ])("%j -> %j", (before, after, expected) => {
    const sign = { same: "=", add: "+", del: "-" } as const;
    expect(diffLines(before, after).map((l) => `${sign[l.kind]}${l.text}`)).toEqual(expected);
  });
});
