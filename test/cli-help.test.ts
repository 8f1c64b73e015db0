// Every command's --help ends with examples, and the examples work as pasted: each is run here,
// through the CLI, in a git repository laid out like examples/shop, as a newcomer would paste it.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandPath, HELP_EXAMPLES } from "../src/cli/help-examples.ts";
import { buildProgram } from "../src/cli/program.ts";
import { runCli } from "./helpers/run-cli.ts";

const SHOP = resolve(import.meta.dirname, "../examples/shop");
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

/** The CLI in process in `cwd`, with the entry point's exit codes. */
const cli = (cwd: string, args: string[]) => runCli({}, args, { cwd });

const allCommands = (command: Command): Command[] => [
  command,
  ...command.commands.filter((c) => c.name() !== "help").flatMap(allCommands),
];

/** An example as a shell would take it: words, a `*.ext` glob, `> file`, and no `# comment`. */
const parseExample = (line: string, cwd: string): { args: string[]; redirect?: string } => {
  const words = line
    .replace(/\s+#.*$/, "")
    .trim()
    .split(/\s+/);
  expect(words[0]).toBe("covenant");
  const args: string[] = [];
  let redirect: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    if (word === ">") redirect = words[++i];
    else if (/^[\w/.-]*\*[\w.]*$/.test(word)) {
      const slash = word.lastIndexOf("/");
      const [dir, pattern] = [word.slice(0, slash), word.slice(slash + 1)];
      const suffix = pattern.replace("*", "");
      args.push(
        ...readdirSync(join(cwd, dir))
          .filter((name) => name.endsWith(suffix))
          .sort()
          .map((name) => `${dir}/${name}`),
      );
    } else args.push(word);
  }
  return { args, ...(redirect ? { redirect } : {}) };
};

/**
 * Examples that cannot run here as they are: the server and the worker do not return, and these name an id
 * the reader puts in (their comment says where it comes from) or a PostgreSQL server.
 */
const NOT_RUN = [
  /^covenant serve/,
  /^covenant worker/,
  /\bID\b/,
  /^(DATABASE_URL|JOB_WORKERS)=/,
  /\bmy-org\b/,
];

let parent: string;
let repo: string;

/** examples/shop as a git repository, on a branch that drops a contracted column; without Covenant's files if `bare`. */
const shopRepository = (name: string, bare = false): string => {
  const dir = join(parent, name);
  cpSync(SHOP, dir, { recursive: true });
  if (bare) for (const own of [".github", "contracts"]) rmSync(join(dir, own), { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: GIT_ENV });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
  git("switch", "-qc", "drop-currency");
  writeFileSync(
    join(dir, "db/migrations/0006_drop_currency.up.sql"),
    "ALTER TABLE orders DROP COLUMN currency;\n",
  );
  git("add", "-A");
  git("commit", "-qm", "drop currency");
  return dir;
};

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), "covenant-help-"));
  repo = shopRepository("shop");
  // The data the examples name.
  mkdirSync(join(repo, "data"));
  writeFileSync(
    join(repo, "data/orders.csv"),
    "id,customer_id,status,amount_cents,currency\n1,1,paid,100,EUR\n2,1,pending,250,USD\n",
  );
  const db = new Database(join(repo, "data/shop.db"));
  db.exec(
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL, amount_cents INTEGER NOT NULL, currency TEXT NOT NULL); INSERT INTO orders VALUES (1, 1, 'paid', 100, 'EUR')",
  );
  db.close();
  writeFileSync(join(repo, "sample.json"), '[{"id": 1, "kind": "signup"}, {"id": 2, "kind": "login"}]');
});

afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe("every --help ends with examples", () => {
  it("for every command and subcommand", async () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, cwd: ".", isTTY: false });
    const paths = allCommands(program).map(commandPath);
    expect(paths).toContain("sources add");
    // The table names real commands; a command may also write its examples itself.
    for (const key of Object.keys(HELP_EXAMPLES)) expect(paths).toContain(key);
    for (const path of paths) {
      const args = path === "covenant" ? ["--help"] : [...path.split(" "), "--help"];
      const { code, stdout } = await cli(".", args);
      expect(code, path).toBe(0);
      const examples = stdout.slice(stdout.indexOf("\nExamples:\n"));
      expect(examples, path).toMatch(
        new RegExp(
          `^\\nExamples:\\n(  ((DATABASE_URL|JOB_WORKERS)=\\S+ )?covenant ${path === "covenant" ? "" : path}.*\\n)+$`,
        ),
      );
    }
  });
});

describe("the examples work as pasted", { timeout: 300_000 }, () => {
  const run = async (path: string, cwd: string) => {
    for (const line of HELP_EXAMPLES[path] ?? []) {
      if (NOT_RUN.some((pattern) => pattern.test(line))) continue;
      const { args, redirect } = parseExample(line, cwd);
      const { code, stdout, stderr } = await cli(cwd, args);
      // 1 is a verdict (a contract broken, data failing a rule); 2 would be a wrong example.
      expect([0, 1], `${line}\n${stderr}`).toContain(code);
      if (redirect) writeFileSync(join(cwd, redirect), stdout);
    }
  };

  it("covenant and init, in a repository that has migrations and no Covenant files yet", async () => {
    await run("covenant", shopRepository("first", true));
    await run("init", shopRepository("fresh", true));
  });

  it("check, schema, infer, validate, export and import", async () => {
    for (const path of ["check", "schema", "infer", "validate", "export", "import"]) await run(path, repo);
  });

  it("db, keys and sources, on the embedded database", async () => {
    await run("db migrate", repo);
    for (const path of ["db", "keys", "keys create", "keys list", "sources", "sources where", "sources list"])
      await run(path, repo);
    // sources add names a file in the installation's directory: put it where `sources where` says.
    const where = await cli(repo, ["sources", "where"]);
    const dir = /files: (.+)/.exec(where.stdout)?.[1] as string;
    mkdirSync(dir, { recursive: true });
    cpSync(join(repo, "data/shop.db"), join(dir, "shop.db"));
    await run("sources add", repo);
    await run("sources remove", repo);
  });
});
