// An in-memory git repository for the App's tests: commits are path -> content maps, with
// deterministic SHAs, so nock interceptors and the fake GitHub API can serve trees, blobs and
// GraphQL `object(expression: "sha:path")` lookups from the same data.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ordersContract } from "./orders-contract.ts";

export type Files = Record<string, string>;

export const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex");

export const commitSha = (files: Files, salt = ""): string =>
  sha1(salt + JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))));

export const blobSha = (content: string): string => sha1(`blob ${Buffer.byteLength(content)}\0${content}`);

export const treeResponse = (sha: string, files: Files) => ({
  sha,
  url: `https://api.github.com/repos/o/r/git/trees/${sha}`,
  truncated: false,
  tree: Object.entries(files).map(([path, content]) => ({
    path,
    mode: "100644",
    type: "blob",
    sha: blobSha(content),
    size: Buffer.byteLength(content),
    url: `https://api.github.com/repos/o/r/git/blobs/${blobSha(content)}`,
  })),
});

/** Answers the App's batched GraphQL file query from a set of commits. */
export const graphqlFilesResponse = (query: string, commits: ReadonlyMap<string, Files>) => {
  const repository: Record<string, unknown> = {};
  for (const match of query.matchAll(/(\w+): object\(expression: ("(?:[^"\\]|\\.)*")\)/g)) {
    const expression = JSON.parse(match[2]!) as string;
    const colon = expression.indexOf(":");
    const files = commits.get(expression.slice(0, colon));
    const content = files?.[expression.slice(colon + 1)];
    repository[match[1]!] =
      content === undefined
        ? null
        : {
            __typename: "Blob",
            oid: blobSha(content),
            byteSize: Buffer.byteLength(content),
            text: content,
            isTruncated: false,
            isBinary: false,
          };
  }
  return { data: { repository } };
};

/** The paths GraphQL was asked for, to assert that only what is needed is read. */
export const graphqlRequestedPaths = (query: string): string[] =>
  [...query.matchAll(/object\(expression: ("(?:[^"\\]|\\.)*")\)/g)].map((m) => {
    const expression = JSON.parse(m[1]!) as string;
    return expression.slice(expression.indexOf(":") + 1);
  });

/** Every text file under a directory (e.g. examples/shop), keyed by its relative path. */
export const readDirectoryFiles = (dir: string): Files => {
  const files: Files = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path).split("\\").join("/")] = readFileSync(path, "utf8");
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
};

/** The orders contract with a team and a user as its owners. */
export const ORDERS_CONTRACT = ordersContract('["@Codertocat/data-platform", "@octocat"]');

/** A small repository: one migration history and one BLOCK contract on `orders`. */
export const smallRepository = (): Files => ({
  "README.md": "# shop\n",
  "migrations/0001_create_orders.sql":
    "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email text,\n  status text NOT NULL\n);\n",
  "migrations/0002_create_customers.sql":
    "CREATE TABLE customers (\n  id bigint PRIMARY KEY,\n  name text\n);\n",
  "contracts/orders.yaml": ORDERS_CONTRACT,
});

/** One entry of `GET /repos/{owner}/{repo}/pulls/{n}/files`, as GitHub lists a changed file. */
export const prFile = (filename: string, status = "added") => ({
  sha: "0".repeat(40),
  filename,
  status,
  additions: 1,
  deletions: 0,
  changes: 1,
  blob_url: "",
  raw_url: "",
  contents_url: "",
});
