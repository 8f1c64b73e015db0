// How `covenant check` reads git: like a pull request (merge base, applied on the base), from
// any subdirectory, and never confused or silenced by what a file is named or holds.
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

const CONTRACT = `name: orders
version: 1.0.0
status: active
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string, required: false }
    - { name: status, type: string, required: true }
`;

const CUSTOMERS_CONTRACT = `name: customers
version: 1.0.0
status: active
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.customers }
schema:
  columns:
    - { name: id, type: bigint, required: true }
`;

const CREATE_ORDERS =
  "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email varchar(255),\n  status text NOT NULL\n);\n";
const DROP_EMAIL = "-- no longer needed\nALTER TABLE orders DROP COLUMN email;\n";

const covenant = (args: string[], cwd?: string) => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const json = (args: string[], cwd?: string) => {
  const result = covenant([...args, "--format", "json"], cwd);
  return { ...result, verdict: result.stdout ? JSON.parse(result.stdout) : undefined };
};

const rules = (verdict: { violations: Array<{ rule: string; column?: string }> }) =>
  verdict.violations.map((v) => `${v.rule}${v.column ? `:${v.column}` : ""}`);

/** `covenant check` of the repository's feature branch against main, as JSON. */
const checkFeature = (repository: GitRepo) =>
  json(["check", "--repo", repository.dir, "--base", "main", "--head", "feature"]);

/** A repository with orders + its BLOCK contract on main, then `branch` checked out from it. */
const baseRepository = (prefix: string): GitRepo => {
  const repository = createGitRepo(prefix);
  repository.commit(
    { "db/migrations/0001_create_orders.up.sql": CREATE_ORDERS, "contracts/orders.yaml": CONTRACT },
    "base",
  );
  return repository;
};

const repositories: GitRepo[] = [];
const track = (repository: GitRepo) => {
  repositories.push(repository);
  return repository;
};
afterAll(() => {
  for (const repository of repositories) repository.remove();
});

describe("check compares like a pull request: the branch at its merge base, applied on the base", {
  timeout: 60_000,
}, () => {
  let repository: GitRepo;
  beforeAll(() => {
    repository = track(baseRepository("covenant-mergebase-"));
    const { git, commit } = repository;
    git("switch", "-q", "-c", "feature");
    commit(
      { "db/migrations/0003_add_note.up.sql": "ALTER TABLE orders ADD COLUMN note text;\n" },
      "add note",
    );
    git("switch", "-q", "main");
    // main moves on after the branch was cut: a new table, its contract, a contract edit.
    commit(
      {
        "db/migrations/0002_create_customers.up.sql": "CREATE TABLE customers (id bigint PRIMARY KEY);\n",
        "contracts/customers.yaml": CUSTOMERS_CONTRACT,
        "contracts/orders.yaml": CONTRACT.replace("version: 1.0.0", "version: 1.1.0"),
      },
      "main moves on",
    );
    git("switch", "-q", "-c", "breaking", "feature");
    commit({ "db/migrations/0004_drop_email.up.sql": DROP_EMAIL }, "drop email");
    git("switch", "-q", "main");
  });

  it("does not report main's newer migrations and contracts as removed by the branch", () => {
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toEqual([]);
    expect(verdict.changes.map((c: { kind: string; column?: string }) => [c.kind, c.column])).toEqual([
      ["column-added", "note"],
    ]);
    expect(code).toBe(0);
  });

  it("still sees what the branch breaks, and accepts main...branch", () => {
    const { code, verdict } = json(["check", "main...breaking", "--repo", repository.dir]);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(code).toBe(1);
  });

  it("a file both sides changed is judged as the branch has it, as the App does", () => {
    const { git, commit } = repository;
    git("switch", "-q", "-c", "edits-contract", "feature");
    // The branch edits the contract main also edited: the branch's version is what merges.
    commit({ "contracts/orders.yaml": CONTRACT.replace("required: false }", "required: true }") }, "tighten");
    git("switch", "-q", "main");
    const { code, verdict } = json(["check", "main...edits-contract", "--repo", repository.dir]);
    expect(rules(verdict)).toContain("contract-nullability-mismatch:email");
    expect(code).toBe(1);
  });

  it("a range without three dots is refused with what to write instead", () => {
    const { code, stderr } = covenant(["check", "main..feature", "--repo", repository.dir]);
    expect(code).toBe(2);
    expect(stderr).toContain("main...feature");
  });
});

describe("check from a subdirectory behaves exactly as from the root", { timeout: 60_000 }, () => {
  it("finds the repository root", () => {
    const repository = track(baseRepository("covenant-subdir-"));
    repository.git("switch", "-q", "-c", "feature");
    repository.commit({ "db/migrations/0002_drop_email.up.sql": DROP_EMAIL }, "drop email");
    const fromRoot = json(["check", "--base", "main", "--head", "feature"], repository.dir);
    const fromSubdirectory = json(
      ["check", "--base", "main", "--head", "feature"],
      join(repository.dir, "db"),
    );
    expect(rules(fromRoot.verdict)).toEqual(["column-removed:email"]);
    expect(fromSubdirectory.stdout).toBe(fromRoot.stdout);
    expect(fromSubdirectory.code).toBe(1);
    const viaRepo = json(["check", "--repo", join(repository.dir, "db", "migrations"), "main...feature"]);
    expect(viaRepo.stdout).toBe(fromRoot.stdout);
  });
});

describe("no file name or content hides a change", { timeout: 60_000 }, () => {
  const branch = (prefix: string, files: Record<string, string | Uint8Array>) => {
    const repository = track(baseRepository(prefix));
    repository.git("switch", "-q", "-c", "feature");
    repository.commit(files, "change");
    repository.git("switch", "-q", "main");
    return repository;
  };

  it("a file name with a newline does not shift the contents of the files after it", () => {
    const repository = branch("covenant-newline-", {
      "db/migrations/0005_zz.up.sql\nHEAD:x.up.sql": "SELECT 1;\n",
      "db/migrations/0006_drop_email.up.sql": DROP_EMAIL,
    });
    const { code, verdict } = checkFeature(repository);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(verdict.violations[0].file).toBe("db/migrations/0006_drop_email.up.sql");
    expect(code).toBe(1);
  });

  it("a UTF-16 migration is decoded (and the output says so)", () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(DROP_EMAIL, "utf16le")]);
    const repository = branch("covenant-utf16-", { "db/migrations/0002_drop_email.up.sql": utf16 });
    const { code, verdict } = checkFeature(repository);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(verdict.findings).toContainEqual(
      expect.objectContaining({
        file: "db/migrations/0002_drop_email.up.sql",
        message: expect.stringMatching(/UTF-16/),
      }),
    );
    expect(code).toBe(1);
  });

  it("a UTF-16 migration without a byte order mark is decoded too", () => {
    const repository = branch("covenant-utf16be-", {
      "db/migrations/0002_drop_email.up.sql": Buffer.from(DROP_EMAIL, "utf16le").swap16(),
    });
    const { code, verdict } = checkFeature(repository);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(code).toBe(1);
  });

  it("a Latin-1 migration is decoded, and its non-ASCII names survive", () => {
    const latin1 = Buffer.from("-- supprimé\nALTER TABLE orders DROP COLUMN email;\n", "latin1");
    const repository = branch("covenant-latin1-", { "db/migrations/0002_drop_email.up.sql": latin1 });
    const { code, verdict } = checkFeature(repository);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(verdict.findings).toContainEqual(
      expect.objectContaining({
        file: "db/migrations/0002_drop_email.up.sql",
        message: expect.stringMatching(/Latin-1|Windows-1252/),
      }),
    );
    expect(code).toBe(1);
  });

  it("a binary migration fails closed for the contracts it may touch, naming the file", () => {
    const binary = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02]);
    const repository = branch("covenant-binary-", { "db/migrations/0002_drop_email.up.sql": binary });
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({
        rule: "file-unreadable",
        contract: "orders",
        file: "db/migrations/0002_drop_email.up.sql",
        message: expect.stringContaining("binary"),
      }),
    );
    expect(verdict.conclusion).toBe("failure");
    expect(code).toBe(1);
  });

  it("a migration over the size limit fails closed, naming the file and its size", () => {
    const big = `${"-- padding padding padding padding padding padding padding padding\n".repeat(400_000)}${DROP_EMAIL}`;
    const repository = branch("covenant-big-", { "db/migrations/0002_drop_email.up.sql": big });
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({
        rule: "file-unreadable",
        contract: "orders",
        file: "db/migrations/0002_drop_email.up.sql",
        message: expect.stringMatching(/MB/),
      }),
    );
    expect(code).toBe(1);
  });

  it("a symlinked migration is read through its link", () => {
    const repository = track(baseRepository("covenant-symlink-"));
    repository.git("switch", "-q", "-c", "feature");
    mkdirSync(join(repository.dir, "sql"), { recursive: true });
    repository.commit({ "sql/drop_email.sql": DROP_EMAIL }, "shared sql");
    symlinkSync("../../sql/drop_email.sql", join(repository.dir, "db/migrations/0002_drop_email.up.sql"));
    repository.commit({}, "link it");
    const { code, verdict } = checkFeature(repository);
    expect(rules(verdict)).toEqual(["column-removed:email"]);
    expect(verdict.violations[0].file).toBe("db/migrations/0002_drop_email.up.sql");
    expect(code).toBe(1);
  });

  it("a symlink leaving the repository fails closed", () => {
    const repository = track(baseRepository("covenant-symlink-out-"));
    repository.git("switch", "-q", "-c", "feature");
    symlinkSync("/etc/hostname", join(repository.dir, "db/migrations/0002_drop_email.up.sql"));
    repository.commit({}, "link out");
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({ rule: "file-unreadable", file: "db/migrations/0002_drop_email.up.sql" }),
    );
    expect(code).toBe(1);
  });

  it("a submodule where migrations live fails closed", () => {
    const repository = track(baseRepository("covenant-submodule-"));
    repository.git("switch", "-q", "-c", "feature");
    const sha = repository.git("rev-parse", "HEAD");
    repository.git("update-index", "--add", "--cacheinfo", `160000,${sha},db/migrations/0002_more.up.sql`);
    repository.git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "submodule");
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toContainEqual(
      expect.objectContaining({
        rule: "file-unreadable",
        file: "db/migrations/0002_more.up.sql",
        message: expect.stringContaining("submodule"),
      }),
    );
    expect(code).toBe(1);
  });
});

describe("a migration that alters a contracted table its own history never created", {
  timeout: 60_000,
}, () => {
  it.each([
    ["a subfolder (a history of its own)", "db/migrations/hotfix/0002_drop_email.up.sql"],
    ["a history whose earlier migrations do not create it", "db/other/0001_drop_email.up.sql"],
  ])("fails closed from %s: the drop cannot be verified", (_, path) => {
    const repository = track(baseRepository("covenant-foreign-alter-"));
    repository.git("switch", "-q", "-c", "feature");
    const config =
      'contracts: ["contracts/**/*.yaml"]\nmigrations:\n  - { path: db/migrations }\n  - { path: db/other }\n';
    repository.commit({ ".github/covenant.yml": path.startsWith("db/other") ? config : null }, "config");
    repository.git("switch", "-q", "main");
    if (path.startsWith("db/other")) repository.commit({ ".github/covenant.yml": config }, "config on main");
    repository.git("switch", "-q", "feature");
    repository.commit({ [path]: DROP_EMAIL }, "drop email elsewhere");
    const { code, verdict } = checkFeature(repository);
    const violation = verdict.violations.find((v: { rule: string }) => v.rule === "sql-parse-error");
    expect(violation, JSON.stringify(verdict.findings)).toMatchObject({ contract: "orders", file: path });
    expect(violation.message).toContain("not defined by earlier migrations");
    expect(violation.message).toContain("public.orders");
    expect(code).toBe(1);
  });

  it("stays a warning for a table no contract covers", () => {
    const repository = track(baseRepository("covenant-foreign-alter-free-"));
    repository.git("switch", "-q", "-c", "feature");
    repository.commit(
      { "db/migrations/hotfix/0002_drop_note.up.sql": "ALTER TABLE audit_log DROP COLUMN note;\n" },
      "x",
    );
    const { code, verdict } = checkFeature(repository);
    expect(verdict.violations).toEqual([]);
    expect(verdict.findings.map((f: { rule: string }) => f.rule)).toContain("sql-parse-error");
    expect(code).toBe(0);
  });
});
