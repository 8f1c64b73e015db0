import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")) as {
  version: string;
};

describe("covenant --version", () => {
  test.each(["--version", "-V"])("%s prints the package's version and nothing else", (flag) => {
    expect(execFileSync(process.execPath, [BIN, flag], { encoding: "utf8" })).toBe(`${version}\n`);
  });
});
