import { existsSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { CovenantError, type ErrorDetail } from "../core/errors.ts";
import { detectSourceKind, redactLocation } from "./open-source.ts";
import { sameFile } from "./own-database.ts";
import { parseSourceHosts, type SourceHosts } from "./source-hosts.ts";
import {
  type OwnDatabase,
  type ServerSourceRules,
  SOURCE_KINDS,
  type SourceKind,
  type SourceSpec,
} from "./types.ts";

// Where a registered source's data is, and the rules that keep an API caller from reaching what
// is not its data source: passwords never travel in requests (they live in the server's
// environment), and what the server holds for sources belongs to one installation: its files sit
// in SOURCE_FILES_ROOT/<installation id>/ and its variables are named
// COVENANT_SOURCE_<INSTALLATION ID>__<NAME>. A key can only name its own, so it cannot reach
// another tenant's source, DATABASE_URL or the App's private key.

export type SourceSettings = {
  /** SOURCE_FILES_ROOT, absolute or relative to the working directory. */
  filesRoot: string;
  /** The server's environment, where `location_env` names are looked up. */
  env: Record<string, string | undefined>;
  /** SOURCE_HOSTS, parsed (default: public addresses only). */
  hosts?: SourceHosts;
  /** SOURCE_CONNECT_TIMEOUT_MS (default 10 s). */
  connectTimeoutMs?: number;
  /** Covenant's own database, which no source may be. */
  ownDatabase?: OwnDatabase;
  /** How messages name the inputs: the API's JSON fields (default) or the CLI's flags. */
  names?: InputNames;
};

/** The words a message uses for the inputs of a registration, as the caller spells them. */
export type InputNames = {
  location: string;
  locationEnv: string;
  kind: string;
  /** Where the caller can see this installation's directory and variable names. */
  where?: string;
};
export const API_INPUT_NAMES: InputNames = {
  location: "`location`",
  locationEnv: "`location_env`",
  kind: "`kind`",
};
export const CLI_INPUT_NAMES: InputNames = {
  location: "--location",
  locationEnv: "--location-env",
  kind: "--kind",
  where: " (`covenant sources where` prints both for the installation)",
};

export const DEFAULT_SOURCE_CONNECT_TIMEOUT_MS = 10_000;

const serverRules = (settings: SourceSettings): ServerSourceRules => ({
  hosts: settings.hosts ?? parseSourceHosts(undefined),
  connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_SOURCE_CONNECT_TIMEOUT_MS,
  ...(settings.ownDatabase ? { ownDatabase: settings.ownDatabase } : {}),
});

/** A file is never Covenant's own SQLite database, whatever link or name leads to it. */
const refuseOwnFile = (real: string, settings: SourceSettings, field: string): void => {
  const own = settings.ownDatabase;
  if (own?.kind === "sqlite" && sameFile(real, own.file)) {
    throw bad(
      "This file is Covenant's own database, which holds every installation's contracts and keys: it cannot be a data source.",
      field,
    );
  }
};

/** What a registration (or an update) says about where the data is. */
export type SourceLocationInput = {
  /** The installation registering it: only its own files and variables resolve. */
  installationId: string;
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
const ENV_SUFFIX = /^[A-Z0-9][A-Z0-9_]{0,99}$/;
const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** DuckDB expands these in file names; a registered file is one file. */
const GLOB_CHARS = /[*?[\]{}]/;

const bad = (message: string, path: string): CovenantError =>
  new CovenantError("invalid_input", message, [{ path, message }]);

const isPostgresUrl = (text: string): boolean => POSTGRES_URL.test(text.trim());

/**
 * The installation's part of its variables' names: its id in capitals. Ids are lower-case letters
 * and digits, so the mapping is one-to-one and the `__` after it cannot occur inside it: no
 * installation's prefix is the start of another's.
 */
const namespaceOf = (installationId: string): string => {
  if (!/^[a-z0-9]{1,64}$/i.test(installationId)) {
    throw new CovenantError("internal", "an installation id is not made of letters and digits");
  }
  return installationId.toUpperCase();
};

/** `COVENANT_SOURCE_<INSTALLATION>__`: the start of every variable this installation may name. */
export const sourceVariablePrefix = (installationId: string): string =>
  `${LOCATION_ENV_PREFIX}${namespaceOf(installationId)}__`;

/** The server variable an installation's source `name` is read from, e.g. COVENANT_SOURCE_CLX…__WAREHOUSE. */
export const sourceVariableName = (installationId: string, name: string): string =>
  `${sourceVariablePrefix(installationId)}${name}`;

/** The installation's own directory under the files root; only files inside it resolve. */
export const installationFilesDir = (filesRoot: string, installationId: string): string => {
  namespaceOf(installationId);
  return join(filesRoot, installationId);
};

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
 * A file path as given (relative to the installation's directory under the files root, or
 * absolute inside it) -> its real path, refused unless it is a regular file inside that directory
 * once `..` and symlinks are resolved.
 */
export const resolveSourceFile = (
  path: string,
  {
    filesRoot,
    installationId,
    field = "location",
  }: { filesRoot: string; installationId: string; field?: string },
): { real: string; relativePath: string } => {
  const dirName = installationFilesDir(".", installationId);
  let realRoot: string;
  try {
    realRoot = realFilesRoot(filesRoot);
  } catch {
    // Say the directory the file must go to, not only its parent.
    throw bad(
      `File sources are read from ${join(resolve(filesRoot), installationId)} (SOURCE_FILES_ROOT/<installation id>), ` +
        `which does not exist yet: create it and copy ${path.trim() || "the file"} there, or set SOURCE_FILES_ROOT to ` +
        "the directory that holds the installations' files.",
      field,
    );
  }
  const shownDir = `${installationId}/ under SOURCE_FILES_ROOT (${filesRoot})`;
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
      `"${text}" is outside this installation's data source directory (${shownDir}): put the file in ` +
        "that directory and register its path relative to it (paths escaping it with .. or symlinks are refused).",
      field,
    );
  const root = resolve(realRoot, dirName);
  const candidate = isAbsolute(text) ? text : resolve(root, text);
  const within = (base: string, p: string) => {
    const rel = relative(base, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  // An absolute path is judged as given and as it reads under the real root (SOURCE_FILES_ROOT may
  // itself sit behind a symlink).
  const lexical = isAbsolute(text) ? [resolve(filesRoot, dirName), root] : [root];
  if (!lexical.some((base) => within(base, resolve(candidate)))) throw outside();
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    // Registered before files belonged to installations: say where the file must move.
    const legacy = !isAbsolute(text) && existsSync(resolve(realRoot, text));
    throw bad(
      legacy
        ? `"${text}" is no longer read from the top of SOURCE_FILES_ROOT: data source files now belong to an ` +
            `installation. Move it to ${shownDir}; the source then resolves as it is.`
        : `No file "${text}" in this installation's data source directory (${shownDir}): copy it there first.`,
      field,
    );
  }
  let realDir: string;
  try {
    realDir = realpathSync(root);
  } catch {
    throw outside();
  }
  if (!within(realDir, real)) throw outside();
  if (!statSync(real).isFile()) throw bad(`"${text}" is not a file.`, field);
  return { real, relativePath: relative(realDir, real).split(sep).join("/") };
};

const kindOf = (
  given: SourceKind | undefined,
  where: string,
  field: string,
  names: InputNames = API_INPUT_NAMES,
): SourceKind => {
  if (given) return given;
  const detected = detectSourceKind(where);
  if (!detected) {
    throw bad(
      `Cannot tell the kind of source from its location: give ${names.kind} (${SOURCE_KINDS.join(", ")}).`,
      field,
    );
  }
  return detected;
};

/**
 * A `location_env` name -> its value on this server. The value itself is never put in a message.
 * A stored name from before variables belonged to installations (COVENANT_SOURCE_WAREHOUSE) is
 * read under the installation's name for it, so renaming the variable is the whole migration.
 */
const envValue = (
  given: string,
  {
    env,
    installationId,
    stored,
    names,
  }: { env: SourceSettings["env"]; installationId: string; stored: boolean; names: InputNames },
): { name: string; value: string } => {
  const prefix = sourceVariablePrefix(installationId);
  const example = `${prefix}WAREHOUSE`;
  let name = given;
  if (!given.startsWith(prefix)) {
    const legacy = given.startsWith(LOCATION_ENV_PREFIX) ? given.slice(LOCATION_ENV_PREFIX.length) : "";
    if (!stored || !ENV_SUFFIX.test(legacy)) {
      throw bad(
        `${names.locationEnv} must name one of this installation's server variables, ${prefix}<NAME> (e.g. ${example}): ` +
          `variables of other installations and the server's own are not readable${names.where ?? ""}.`,
        "location_env",
      );
    }
    name = `${prefix}${legacy}`;
    if (!env[name]?.trim()) {
      throw bad(
        `This source reads ${given}, a server variable from before source variables belonged to an installation: ` +
          `rename it on the Covenant server to ${name} and restart; the source then resolves as it is.`,
        "location_env",
      );
    }
  }
  if (!ENV_SUFFIX.test(name.slice(prefix.length))) {
    throw bad(
      `${names.locationEnv} must be ${prefix} followed by capital letters, digits and _ (e.g. ${example}).`,
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
  return { name, value };
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
  { stored = false }: { stored?: boolean } = {},
): ResolvedSource => {
  const { installationId } = input;
  const names = settings.names ?? API_INPUT_NAMES;
  const location = input.location?.trim() || null;
  const locationEnv = input.locationEnv?.trim() || null;
  if ((location === null) === (locationEnv === null)) {
    const details: ErrorDetail[] = [{ path: "location", message: "give location or location_env" }];
    throw new CovenantError(
      "invalid_input",
      `Give exactly one of ${names.location} (a file path under SOURCE_FILES_ROOT, or a postgres URL without ` +
        `password) and ${names.locationEnv} (the name of a server environment variable holding it)${names.where ?? ""}.`,
      details,
    );
  }
  if (location !== null) {
    if (isPostgresUrl(location)) {
      if (urlHasPassword(location)) {
        throw bad(
          `The ${names.location} URL contains a password, which Covenant never stores${names === API_INPUT_NAMES ? " or accepts in a request" : ""}: put the ` +
            `URL in an environment variable of the Covenant server (e.g. ${sourceVariableName(installationId, "WAREHOUSE")}) and ` +
            `register the source with ${names.locationEnv} instead.`,
          "location",
        );
      }
      const kind = kindOf(input.kind, location, "kind", names);
      if (kind !== "postgres") throw bad(`A postgres URL cannot be a ${kind} source.`, "kind");
      return {
        kind,
        location,
        locationEnv: null,
        spec: { kind, location, server: serverRules(settings) },
        label: redactLocation(location),
      };
    }
    if (SCHEME.test(location)) {
      throw bad(
        "Only postgresql:// URLs and file paths (under SOURCE_FILES_ROOT) can be registered as locations.",
        "location",
      );
    }
    const file = resolveSourceFile(location, { filesRoot: settings.filesRoot, installationId });
    refuseOwnFile(file.real, settings, "location");
    const kind = kindOf(input.kind, file.real, "kind", names);
    if (kind === "postgres") throw bad("A postgres source needs a postgresql:// URL.", "kind");
    return {
      kind,
      location: file.relativePath,
      locationEnv: null,
      spec: { kind, location: file.real },
      label: file.relativePath,
    };
  }
  // Stored names are kept as registered, so a legacy one stays legacy until the source is re-pointed.
  const { name: readFrom, value } = envValue(locationEnv as string, {
    env: settings.env,
    installationId,
    stored,
    names,
  });
  const name = locationEnv as string;
  if (isPostgresUrl(value)) {
    const kind = kindOf(input.kind, value, "kind", names);
    if (kind !== "postgres") throw bad(`${readFrom} holds a postgres URL, not a ${kind} source.`, "kind");
    return {
      kind,
      location: null,
      locationEnv: name,
      spec: { kind, location: value, server: serverRules(settings) },
      label: `$${name}`,
    };
  }
  if (SCHEME.test(value)) {
    throw bad(
      `${readFrom} must hold a postgresql:// URL or a file path in this installation's data source directory.`,
      "location_env",
    );
  }
  const file = resolveSourceFile(value, {
    filesRoot: settings.filesRoot,
    installationId,
    field: "location_env",
  });
  refuseOwnFile(file.real, settings, "location_env");
  const kind = kindOf(input.kind, file.real, "kind", names);
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
  stored: { installationId: string; kind: string; location: string | null; locationEnv: string | null },
  settings: SourceSettings,
): ResolvedSource =>
  resolveSourceLocation(
    {
      installationId: stored.installationId,
      kind: stored.kind as SourceKind,
      location: stored.location,
      locationEnv: stored.locationEnv,
    },
    settings,
    { stored: true },
  );
