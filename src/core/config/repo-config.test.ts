import { describe, expect, it } from "vitest";
import { isCovenantError } from "../errors.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "./repo-config.ts";

const errorOf = (text: string): string => {
  try {
    parseRepoConfig(text);
  } catch (error) {
    if (isCovenantError(error) && error.code === "invalid_input") return error.message;
    throw error;
  }
  throw new Error("expected parseRepoConfig to throw");
};

describe("parseRepoConfig", () => {
  it.each([
    ["empty file", "", DEFAULT_REPO_CONFIG],
    ["comment only", "# nothing yet\n", DEFAULT_REPO_CONFIG],
    [
      "design example",
      [
        'contracts: ["contracts/**/*.yaml"]',
        "migrations:",
        "  - { path: db/migrations, dialect: mysql }",
        "dbt:",
        "  - { path: analytics }",
        "enforcement: { max: NOTIFY }",
      ].join("\n"),
      {
        contracts: ["contracts/**/*.yaml"],
        migrations: [{ path: "db/migrations", dialect: "mysql" }],
        dbt: [{ path: "analytics" }],
        enforcement: { max: "NOTIFY" },
        ignore: [],
      },
    ],
    [
      "migration dialect left to detection, tool kept",
      "migrations:\n  - path: sql\n    tool: flyway\nignore: [test/fixtures/**]\n",
      {
        contracts: ["contracts/**/*.yaml", "contracts/**/*.yml"],
        migrations: [{ path: "sql", tool: "flyway" }],
        dbt: [],
        ignore: ["test/fixtures/**"],
      },
    ],
  ])("%s", (_name, text, expected) => {
    expect(parseRepoConfig(text)).toEqual(expected);
  });

  it.each([
    [
      "unknown dialect",
      "migrations:\n  - path: db\n    dialect: oracle\n",
      ".github/covenant.yml:3:14 migrations.0.dialect",
    ],
    ["unknown level", "enforcement:\n  max: WARN\n", ".github/covenant.yml:2:8 enforcement.max"],
    [
      "typo in top-level key",
      "contract: [a]\n",
      '.github/covenant.yml:1:1 unknown key "contract" (did you mean "contracts"?)',
    ],
    [
      "unknown nested key",
      "dbt:\n  - path: a\n    paths: b\n",
      '.github/covenant.yml:3:5 unknown key "paths"',
    ],
    ["missing path", "migrations:\n  - dialect: mysql\n", ".github/covenant.yml:2:5 migrations.0.path"],
    ["wrong type", "contracts: contracts/*.yaml\n", ".github/covenant.yml:1:12 contracts"],
    ["not a mapping", "- a\n- b\n", ".github/covenant.yml:1:1"],
    ["YAML syntax error", "migrations: [\n", ".github/covenant.yml:"],
  ])("rejects %s with the position", (_name, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });

  it("names the file it was given", () => {
    expect(() => parseRepoConfig("dbt: 3\n", "config/covenant.yml")).toThrow(
      /^config\/covenant\.yml:1:6 dbt/,
    );
  });
});

describe("parseRepoConfig on hostile YAML", () => {
  it("refuses a nesting bomb with file:line before the YAML library parses it", () => {
    expect(errorOf(`contracts:\n  - ${"[".repeat(10_000)}\n`)).toMatch(
      /covenant\.yml:2.*nested more than 64/s,
    );
  });
});
