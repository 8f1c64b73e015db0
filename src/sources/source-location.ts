import { realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { CovenantError, type ErrorDetail } from "../core/errors.ts";
import { detectSourceKind, redactLocation } from "./open-source.ts";
import { SOURCE_KINDS, type SourceKind, type SourceSpec } from "./types.ts";

// Where a registered source's data is, and the rules that keep an API caller from reaching what
// is not a data source: passwords never travel in requests (they live in the server's
// environment), files stay inside SOURCE_FILES_ROOT, and only COVENANT_SOURCE_* variables can be
// referenced, so a key cannot point a "source" at DATABASE_URL or the App's private key.

export type SourceSettings = {
  /** SOURCE_FILES_ROOT, absolute or relative to the working directory. */
  filesRoot: string;
  /** The server's environment, where `location_env` names are looked up. */
  env: Record<string, string | undefined>;
};

/** What a registration (or an update) says about where the data is. */
export type SourceLocationInput = {
  kind?: SourceKind;
  location?: string | null;
  locationEnv?: string | null;
};

/** A registration checked and resolved: what to store, and what to open. */
export type ResolvedSource = {
  kind: SourceKind;
  /** As stored: a path relative to the files root, or a password-free URL; null with `locationEnv`. */
  location: string | null;
  locationEnv: string | null;
  /** What `openSource` needs; `spec.location` may hold a secret: never log or return it. */
  spec: SourceSpec;
  /** Safe to show: the redacted URL or the path relative to the files root. */
  label: string;
};

export const LOCATION_ENV_PREFIX = "COVENANT_SOURCE_";
const ENV_NAME = /^COVENANT_SOURCE_[A-Z0-9_]{1,100}$/;
const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** DuckDB expands these in file names; a registered file is one file. */
const GLOB_CHARS = /[*?[\]{}]/;

const bad = (message: string, path: string): CovenantError =>
  new CovenantError("invalid_input", message, [{ path, message }]);

const isPostgresUrl = (text: string): boolean => POSTGRES_URL.test(text.trim());

/** The password of a postgres URL, in its user-info or as a `password` query parameter. */
const urlHasPassword = (text: string): boolean => {
  try {
    const url = new URL(text.trim());
    return url.password !== "" || url.searchParams.has("password");
  } catch {
    return /:\/\/[^/@]*:[^/@]*@/.test(text) || /[?&]password=/i.test(text);
  }
};

/** The files root as a real path; a root that does not exist is a server configuration problem. */
export const realFilesRoot = (filesRoot: string): string => {
  const root = resolve(filesRoot);
  try {
    return realpathSync(root);
  } catch {
    throw new CovenantError(
      "invalid_input",
      `File sources are read from SOURCE_FILES_ROOT (${filesRoot}), which does not exist on the server: ` +
        "create it and put the files there, or set SOURCE_FILES_ROOT to the directory that holds them.",
    );
  }
};

/**
 * A file path as given (relative to the files root, or absolute inside it) -> its real path,
 * refused unless it is a regular file inside the root once `..` and symlinks are resolved.
 */
export const resolveSourceFile = (
  path: string,
  { filesRoot, field = "location" }: { filesRoot: string; field?: string },
): { real: string; relativePath: string } => {
  const root = realFilesRoot(filesRoot);
  const text = path.trim().replace(/^file:(\/\/)?/, "");
  if (text === "" || text.includes("\0")) throw bad("The file path is empty or not text.", field);
  if (GLOB_CHARS.test(text)) {
    throw bad(
      `A file source is one file: "${text}" contains wildcard characters (* ? [ ] { }); name the file itself.`,
      field,
    );
  }
  const outside = () =>
    bad(
      `"${text}" is outside the data source directory (SOURCE_FILES_ROOT ${filesRoot}): put the file under ` +
        "that directory and register its path relative to it (paths escaping it with .. or symlinks are refused).",
      field,
    );
  const candidate = isAbsolute(text) ? text : resolve(root, text);
  const inside = (p: string) => {
    const rel = relative(root, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  if (!inside(resolve(candidate))) throw outside();
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    throw bad(
      `No file "${text}" under the data source directory (SOURCE_FILES_ROOT ${filesRoot}): copy it there first.`,
      field,
    );
  }
  if (!inside(real)) throw outside();
  if (!statSync(real).isFile()) throw bad(`"${text}" is not a file.`, field);
  return { real, relativePath: relative(root, real).split(sep).join("/") };
};

const kindOf = (given: SourceKind | undefined, where: string, field: string): SourceKind => {
  if (given) return given;
  const detected = detectSourceKind(where);
  if (!detected) {
    throw bad(
      `Cannot tell the kind of source from its location: give \`kind\` (${SOURCE_KINDS.join(", ")}).`,
      field,
    );
  }
  return detected;
};

/** A `location_env` name -> its value on this server. The value itself is never put in a message. */
const envValue = (name: string, env: SourceSettings["env"]): string => {
  if (!ENV_NAME.test(name)) {
    throw bad(
      `location_env must name a server environment variable starting with ${LOCATION_ENV_PREFIX} ` +
        `(e.g. ${LOCATION_ENV_PREFIX}WAREHOUSE): other variables hold the server's own secrets.`,
      "location_env",
    );
  }
  const value = env[name]?.trim();
  if (!value) {
    throw bad(
      `The environment variable ${name} is not set on the Covenant server: set it there (e.g. to ` +
        "postgresql://user:password@host/db) and restart, then register the source again.",
      "location_env",
    );
  }
  return value;
};

/**
 * Checks where a source's data is and resolves it for opening: exactly one of `location` and
 * `locationEnv`; a postgres URL in `location` must not carry a password; a file must be inside
 * the files root. Used at registration, on update, and again before every open (a stored path
 * might since have become a symlink out of the root).
 */
export const resolveSourceLocation = (
  input: SourceLocationInput,
  settings: SourceSettings,
): ResolvedSource => {
  const location = input.location?.trim() || null;
  const locationEnv = input.locationEnv?.trim() || null;
  if ((location === null) === (locationEnv === null)) {
    const details: ErrorDetail[] = [{ path: "location", message: "give location or location_env" }];
    throw new CovenantError(
      "invalid_input",
      "Give exactly one of `location` (a file path under SOURCE_FILES_ROOT, or a postgres URL without " +
        "password) and `location_env` (the name of a server environment variable holding it).",
      details,
    );
  }
  if (location !== null) {
    if (isPostgresUrl(location)) {
      if (urlHasPassword(location)) {
        throw bad(
          "The location URL contains a password, which must not be stored or sent through the API: put the " +
            `URL in an environment variable of the Covenant server (e.g. ${LOCATION_ENV_PREFIX}WAREHOUSE) and ` +
            'register the source with "location_env" instead.',
          "location",
        );
      }
      const kind = kindOf(input.kind, location, "kind");
      if (kind !== "postgres") throw bad(`A postgres URL cannot be a ${kind} source.`, "kind");
      return { kind, location, locationEnv: null, spec: { kind, location }, label: redactLocation(location) };
    }
    if (SCHEME.test(location)) {
      throw bad(
        "Only postgresql:// URLs and file paths (under SOURCE_FILES_ROOT) can be registered as locations.",
        "location",
      );
    }
    const file = resolveSourceFile(location, { filesRoot: settings.filesRoot });
    const kind = kindOf(input.kind, file.real, "kind");
    if (kind === "postgres") throw bad("A postgres source needs a postgresql:// URL.", "kind");
    return {
      kind,
      location: file.relativePath,
      locationEnv: null,
      spec: { kind, location: file.real },
      label: file.relativePath,
    };
  }
  const name = locationEnv as string;
  const value = envValue(name, settings.env);
  if (isPostgresUrl(value)) {
    const kind = kindOf(input.kind, value, "kind");
    if (kind !== "postgres") throw bad(`${name} holds a postgres URL, not a ${kind} source.`, "kind");
    return { kind, location: null, locationEnv: name, spec: { kind, location: value }, label: `$${name}` };
  }
  if (SCHEME.test(value)) {
    throw bad(
      `${name} must hold a postgresql:// URL or a file path under SOURCE_FILES_ROOT.`,
      "location_env",
    );
  }
  const file = resolveSourceFile(value, { filesRoot: settings.filesRoot, field: "location_env" });
  const kind = kindOf(input.kind, file.real, "kind");
  return { kind, location: null, locationEnv: name, spec: { kind, location: file.real }, label: `$${name}` };
};

/**
 * Makes a message from a source (a driver's error) safe to return: the resolved location (which
 * may hold a password, or the server's absolute paths) becomes the source's label, and so does
 * the masked URL the drivers name it by (a `location_env` source's value is never shown at all).
 */
export const scrubSourceMessage = (
  message: string,
  resolved: Pick<ResolvedSource, "spec" | "label">,
): string => {
  let out = message;
  const secret = resolved.spec.location;
  if (secret) out = out.split(secret).join(resolved.label);
  const masked = secret ? redactLocation(secret) : "";
  if (masked && masked !== resolved.label) out = out.split(masked).join(resolved.label);
  try {
    const url = new URL(secret);
    if (url.password)
      out = out.split(decodeURIComponent(url.password)).join("****").split(url.password).join("****");
  } catch {}
  return out;
};

/** A registered source as stored, resolved again (its rules re-checked) before it is opened. */
export const resolveStoredSource = (
  stored: { kind: string; location: string | null; locationEnv: string | null },
  settings: SourceSettings,
): ResolvedSource =>
  resolveSourceLocation(
    { kind: stored.kind as SourceKind, location: stored.location, locationEnv: stored.locationEnv },
    settings,
  );
