import { firstRecord, HEADER_BYTES, headerOnly } from "../dbt/seed-header.ts";
import type { Finding } from "../model/finding.ts";
import { decodeFile } from "./decode-file.ts";

/**
 * Reading a revision's files the same way in the CLI (git) and the App (GitHub's API): what each
 * adapter lists is a tree of entries; what it fetches is bytes by object id. Everything between,
 * which paths can be read, how links resolve, how bytes become text, is decided here, so both give
 * the same verdict for the same commit.
 */

/** Larger files are not read: replaying them would exhaust the parser, and they are never hand-written DDL. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

/** Links followed from one path before giving up (a cycle, or a chain nobody writes on purpose). */
const MAX_LINK_HOPS = 8;

export type TreeEntry = {
  /** `blob` (a file or a symbolic link), `commit` (a submodule) or `tree`. */
  type: string;
  /** git's mode: 100644 / 100755 file, 120000 symbolic link, 160000 submodule. */
  mode: string;
  oid: string;
  /** Bytes, when the listing gives them. */
  size?: number;
};

/** A file the analysis needs and could not read: it is never judged as if it were absent. */
export type UnreadableFile = { path: string; reason: string };

export type ReadPlan = {
  /** Path -> the blob to fetch for it (a link's target blob for a symbolic link). */
  blobs: Map<string, string>;
  /** Links still to resolve: path -> link blob id; fetch their text, then call `followLinks`. */
  links: Map<string, string>;
  unreadable: UnreadableFile[];
};

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const tooLargeFile = (path: string, size: number): UnreadableFile => ({
  path,
  reason: `it is ${megabytes(size)}, over Covenant's limit of ${megabytes(MAX_FILE_BYTES)} per file`,
});

/** Sorts the wanted paths into blobs to fetch, links to resolve and what cannot be read at all. */
export const planReads = (
  paths: readonly string[],
  entryOf: (path: string) => TreeEntry | undefined,
): ReadPlan => {
  const plan: ReadPlan = { blobs: new Map(), links: new Map(), unreadable: [] };
  for (const path of new Set(paths)) {
    const entry = entryOf(path);
    if (!entry) plan.unreadable.push({ path, reason: "it is listed in the tree but has no content to read" });
    else if (entry.type === "commit")
      plan.unreadable.push({
        path,
        reason:
          "it is a git submodule, whose files Covenant does not read; keep migrations and contracts in the repository itself",
      });
    else if (entry.type !== "blob")
      plan.unreadable.push({ path, reason: `it is a ${entry.type}, not a file` });
    else if (entry.mode === "120000") plan.links.set(path, entry.oid);
    else if (entry.size !== undefined && entry.size > MAX_FILE_BYTES && !headerOnly(path))
      plan.unreadable.push(tooLargeFile(path, entry.size));
    else plan.blobs.set(path, entry.oid);
  }
  return plan;
};

/** The repository path a symbolic link at `path` points to, or why it does not point into the repository. */
export const linkTarget = (path: string, target: string): { path: string } | { reason: string } => {
  if (target.startsWith("/")) return { reason: `it is a symbolic link to ${target}, outside the repository` };
  const parts = path.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return { reason: `it is a symbolic link to ${target}, outside the repository` };
      parts.pop();
    } else parts.push(part);
  }
  return { path: parts.join("/") };
};

type Walk = { path: string; entry?: TreeEntry; problem?: string; needs?: string };

/** Follows one link as far as the known link texts allow. */
const walkLink = (
  path: string,
  oid: string,
  linkText: ReadonlyMap<string, string>,
  entryOf: (path: string) => TreeEntry | undefined,
): Walk => {
  let at = path;
  let entry: TreeEntry | undefined = { type: "blob", mode: "120000", oid };
  for (let hop = 0; entry?.mode === "120000"; hop++) {
    if (hop >= MAX_LINK_HOPS)
      return {
        path: at,
        problem: "it is a symbolic link that could not be followed (a cycle, or a chain too long)",
      };
    const target = linkText.get(entry.oid);
    if (target === undefined) return { path: at, needs: entry.oid };
    const resolved = linkTarget(at, target.trim());
    if ("reason" in resolved) return { path: at, problem: resolved.reason };
    at = resolved.path;
    entry = entryOf(at);
  }
  return { path: at, ...(entry ? { entry } : {}) };
};

/** Link blobs whose text (their target) is needed to follow the plan's links further. */
export const linkBlobsNeeded = (
  plan: ReadPlan,
  linkText: ReadonlyMap<string, string>,
  entryOf: (path: string) => TreeEntry | undefined,
): string[] => {
  const needs = new Set<string>();
  for (const [path, oid] of plan.links) {
    const walk = walkLink(path, oid, linkText, entryOf);
    if (walk.needs) needs.add(walk.needs);
  }
  return [...needs];
};

/**
 * Resolves symbolic links through the same tree, once `linkBlobsNeeded` is empty: a linked
 * migration is judged by the file it points to; a link out of the repository cannot be read.
 */
export const followLinks = (
  plan: ReadPlan,
  linkText: ReadonlyMap<string, string>,
  entryOf: (path: string) => TreeEntry | undefined,
): void => {
  for (const [path, oid] of plan.links) {
    const walk = walkLink(path, oid, linkText, entryOf);
    if (walk.problem) plan.unreadable.push({ path, reason: walk.problem });
    else if (walk.needs)
      plan.unreadable.push({ path, reason: "it is a symbolic link whose target could not be read" });
    else if (walk.entry?.type !== "blob")
      plan.unreadable.push({
        path,
        reason: `it is a symbolic link to ${walk.path}, which is not a file in this revision`,
      });
    else if (walk.entry.size !== undefined && walk.entry.size > MAX_FILE_BYTES && !headerOnly(path))
      plan.unreadable.push(tooLargeFile(path, walk.entry.size));
    else plan.blobs.set(path, walk.entry.oid);
  }
  plan.links.clear();
};

export type ReadFiles = {
  files: Map<string, string>;
  unreadable: UnreadableFile[];
  /** Notes on files that were read but not as plain UTF-8. */
  findings: Finding[];
};

/**
 * What is kept of a header-only file (a seed's CSV) from its first bytes: its first record, or ""
 * (no known header) when the bytes do not decode or no record ends within HEADER_BYTES. A seed
 * whose header cannot be read has unknown columns; it is never unreadable.
 */
export const keepHeader = (bytes: Uint8Array): string => {
  const end = bytes.subarray(0, HEADER_BYTES + 1).indexOf(10);
  if (end < 0 && bytes.length > HEADER_BYTES) return "";
  const decoded = decodeFile(end < 0 ? bytes : bytes.subarray(0, end));
  return decoded.ok ? firstRecord(decoded.text) : "";
};

/** `keepHeader` of a file's text as an API gave it, `whole` or cut short (`isTruncated`). */
export const keepHeaderText = (text: string, whole: boolean): string => {
  const end = text.slice(0, HEADER_BYTES + 1).search(/[\r\n]/);
  if (end < 0) return whole && text.length <= HEADER_BYTES ? firstRecord(text) : "";
  return firstRecord(text.slice(0, end));
};

/** Text of each planned file from its blob's bytes; what cannot be decoded is unreadable. */
export const decodePlanned = (
  plan: ReadPlan,
  bytesOf: (oid: string) => Uint8Array | undefined,
): ReadFiles => {
  const result: ReadFiles = { files: new Map(), unreadable: [...plan.unreadable], findings: [] };
  for (const [path, oid] of plan.blobs) {
    const bytes = bytesOf(oid);
    if (bytes === undefined) {
      result.unreadable.push({ path, reason: "its content could not be fetched" });
      continue;
    }
    if (headerOnly(path)) {
      result.files.set(path, keepHeader(bytes));
      continue;
    }
    if (bytes.length > MAX_FILE_BYTES) {
      result.unreadable.push(tooLargeFile(path, bytes.length));
      continue;
    }
    const decoded = decodeFile(bytes);
    if (!decoded.ok) {
      result.unreadable.push({ path, reason: decoded.reason });
      continue;
    }
    result.files.set(path, decoded.text);
    if (decoded.encoding !== "UTF-8")
      result.findings.push({
        rule: "file-encoding",
        severity: "info",
        file: path,
        line: 1,
        message: `${path} is not UTF-8; it was read as ${decoded.encoding}.`,
        help: "Save SQL, YAML and dbt files as UTF-8 so every tool reads them the same way.",
      });
  }
  return result;
};
