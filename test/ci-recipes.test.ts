// The CI recipes users copy — examples/workflows/covenant.yml and the YAML in README.md and
// docs/ci.md — hold to what they drive: the Action's inputs and outputs as action.yml declares
// them, the permissions its options need, the check command's formats and the package's name.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FORMATS } from "../src/cli/commands/check.ts";
import { PROJECT_URL } from "../src/core/report/project-url.ts";

const root = join(import.meta.dirname, "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Step = { id?: string; uses?: string; with?: Record<string, unknown>; if?: string; run?: string };
type ActionYml = { inputs: Record<string, { required?: boolean }>; outputs: Record<string, unknown> };

const action = parse(read("action.yml")) as ActionYml;
const manifest = JSON.parse(read("package.json")) as { name: string; bin: Record<string, string> };
// The repository the Action is published from: the one the App's manifest links to.
const repository = new URL((parse(read("app.yml")) as { url: string }).url).pathname.slice(1);
const ourAction = (step: Step) => step.uses?.replace(/@.*$/, "") === repository;

/** The ```yaml blocks of a Markdown file, parsed. */
const yamlBlocks = (path: string): unknown[] =>
  [...read(path).matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!));

/** Steps wherever they are: a workflow's jobs, or a bare list of steps as the README shows. */
const stepsOf = (doc: unknown): Step[] => {
  if (Array.isArray(doc)) return doc as Step[];
  const jobs = (doc as { jobs?: Record<string, { steps?: Step[] }> } | null)?.jobs;
  if (jobs) return Object.values(jobs).flatMap((job) => job.steps ?? []);
  const steps = (doc as { steps?: Step[] } | null)?.steps;
  return steps ?? [];
};

/** Holds a recipe's steps to action.yml: inputs it passes, outputs it reads, checkout first. */
const expectValidUse = (steps: Step[], where: string) => {
  const index = steps.findIndex(ourAction);
  expect(index, `${where}: a step uses ${repository}`).toBeGreaterThanOrEqual(0);
  const step = steps[index]!;
  expect(step.uses, where).toMatch(/@v\d+$/);
  const given = Object.keys(step.with ?? {});
  expect(
    given.filter((name) => !(name in action.inputs)),
    `${where}: inputs action.yml does not declare`,
  ).toEqual([]);
  const required = Object.entries(action.inputs)
    .filter(([, spec]) => spec.required)
    .map(([name]) => name);
  expect(
    required.filter((name) => !given.includes(name)),
    `${where}: required inputs`,
  ).toEqual([]);
  const checkout = steps.findIndex((s) => s.uses?.startsWith("actions/checkout@"));
  expect(checkout, `${where}: actions/checkout before the Action`).toBeGreaterThanOrEqual(0);
  expect(checkout).toBeLessThan(index);
  // Every `steps.<id>.outputs.<name>` read from the Action's step is an output it declares.
  const text = JSON.stringify(steps);
  const read = [...text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)];
  expect(read.length, `${where}: reads an output`).toBeGreaterThan(0);
  for (const [, id, output] of read) {
    expect(id, where).toBe(step.id);
    expect(Object.keys(action.outputs), where).toContain(output);
  }
  return step;
};

describe("examples/workflows/covenant.yml", () => {
  const workflow = parse(read("examples/workflows/covenant.yml")) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[] }>;
  };

  it("uses the Action with inputs and outputs action.yml declares, after actions/checkout", () => {
    expectValidUse(stepsOf(workflow), "examples/workflows/covenant.yml");
    expect(Object.keys(workflow.on)).toContain("pull_request");
  });

  it("grants what its options need: pull-requests write for the comment, security-events write for the SARIF upload", () => {
    const steps = stepsOf(workflow);
    const step = steps.find(ourAction)!;
    expect(workflow.permissions.contents).toBe("read");
    if (String(step.with?.comment) === "true") expect(workflow.permissions["pull-requests"]).toBe("write");
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.with?.sarif_file).toBe(`\${{ steps.${step.id}.outputs.sarif-file }}`);
    // The report is uploaded also when the step fails (a blocking violation is when it matters).
    expect(upload?.if).toMatch(/always\(\)/);
    expect(workflow.permissions["security-events"]).toBe("write");
  });
});

describe("the recipes in README.md and docs/ci.md", () => {
  const docs = ["README.md", "docs/ci.md"];

  it("every Action snippet passes declared inputs and reads declared outputs", () => {
    for (const path of docs) {
      const snippets = yamlBlocks(path).filter((doc) => stepsOf(doc).some(ourAction));
      expect(snippets.length, `${path} shows the Action`).toBeGreaterThan(0);
      for (const doc of snippets) expectValidUse(stepsOf(doc), path);
    }
  });

  it("every GitLab job uploads the report that check --format gitlab writes", () => {
    for (const path of docs) {
      const jobs = yamlBlocks(path)
        .flatMap((doc) => Object.values((doc ?? {}) as Record<string, unknown>))
        .filter(
          (job): job is { script: string[]; artifacts: { reports: { codequality: string } } } =>
            typeof job === "object" &&
            job !== null &&
            "artifacts" in job &&
            Boolean(
              (job as { artifacts?: { reports?: { codequality?: string } } }).artifacts?.reports?.codequality,
            ),
        );
      expect(jobs.length, `${path} shows a GitLab job`).toBeGreaterThan(0);
      for (const job of jobs) {
        const writes = job.script
          .map((line) => /check .*--format gitlab > (\S+)/.exec(line)?.[1])
          .filter((file): file is string => file !== undefined);
        expect(writes, path).toEqual([job.artifacts.reports.codequality]);
      }
    }
    expect(FORMATS).toContain("gitlab");
  });

  it("every npx line names this package, and every --format one check accepts", () => {
    for (const path of docs) {
      const text = read(path);
      for (const [, name] of text.matchAll(/npx --yes (\S+)/g)) expect(name, path).toBe(manifest.name);
      for (const [, format] of text.matchAll(/check [^\n]*--format (\w+)/g))
        expect(FORMATS as readonly string[], `${path}: --format ${format}`).toContain(format);
    }
    expect(Object.keys(manifest.bin)).toEqual(["covenant"]); // npx <package> runs its only command
  });
});

describe("one home for the project", () => {
  it("app.yml's url, package.json's homepage and repository, and SARIF's informationUri name the repository the Action is used from", () => {
    const pkg = JSON.parse(read("package.json")) as { homepage: string; repository: { url: string } };
    const home = `https://github.com/${repository}`;
    expect(pkg.homepage).toBe(home);
    expect(pkg.repository.url).toBe(`git+${home}.git`);
    expect(PROJECT_URL).toBe(home);
  });
});
