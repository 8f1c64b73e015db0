import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { CovenantError, type ErrorDetail } from "../errors.ts";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";
import { DIALECTS, ENFORCEMENT_LEVELS } from "../model/contract-levels.ts";
import { DEFAULT_CONTRACT_GLOBS } from "./default-repo-config.ts";
import { positionOfNode, positionOfPath } from "./yaml-position.ts";

export const MIGRATION_TOOLS = [
  "prisma",
  "flyway",
  "golang-migrate",
  "dbmate",
  "supabase",
  "sqitch",
  "numbered",
  "explicit",
] as const;
export type MigrationTool = (typeof MIGRATION_TOOLS)[number];

export { DEFAULT_CONTRACT_GLOBS, DEFAULT_REPO_CONFIG } from "./default-repo-config.ts";

const MigrationEntrySchema = z.strictObject({
  /** A directory holding migrations, or one migration file; repository-relative. */
  path: z.string().min(1),
  /**
   * SQL dialect the migrations are written in. When omitted, Prisma's `migration_lock.toml` or
   * sqitch's `sqitch.conf` decides, else PostgreSQL.
   */
  dialect: z.enum(DIALECTS).optional(),
  /** How the files are named and ordered; detected from the file names when omitted. */
  tool: z.enum(MIGRATION_TOOLS).optional(),
});

export const DBT_DIALECTS = [
  "postgres",
  "redshift",
  "duckdb",
  "bigquery",
  "snowflake",
  "databricks",
  "spark",
  "trino",
  "athena",
  "mysql",
  "mariadb",
  "sqlite",
  "sqlserver",
] as const;

const DbtEntrySchema = z.strictObject({
  /** The directory holding `dbt_project.yml`; repository-relative. */
  path: z.string().min(1),
  /**
   * The warehouse the models are written for (dbt's adapter type), for column lineage: the
   * Postgres family is read by the Postgres parser, the others by node-sql-parser. When omitted,
   * `profiles.yml` beside `dbt_project.yml` decides, else each parser is tried.
   */
  dialect: z.enum(DBT_DIALECTS).optional(),
});

/**
 * `.github/covenant.yml`, read from the default branch only. Every key is optional; unknown keys
 * are rejected so that a typo (`contract:`) does not silently fall back to the defaults.
 */
export const RepoConfigSchema = z.strictObject({
  /** Globs of contract files. */
  contracts: z.array(z.string().min(1)).default(DEFAULT_CONTRACT_GLOBS),
  /** Migration directories with their dialect; they win over detection for their paths. */
  migrations: z.array(MigrationEntrySchema).default([]),
  /** dbt projects; any `dbt_project.yml` is found without this. */
  dbt: z.array(DbtEntrySchema).default([]),
  /** Repository policy: cap (dry run while rolling out) or floor of every contract's level. */
  enforcement: z
    .strictObject({
      max: z.enum(ENFORCEMENT_LEVELS).optional(),
      min: z.enum(ENFORCEMENT_LEVELS).optional(),
    })
    .optional(),
  /** Globs of paths never analysed (test fixtures, vendored schemas). */
  ignore: z.array(z.string().min(1)).default([]),
});

export type RepoConfig = z.infer<typeof RepoConfigSchema>;
export type MigrationEntry = z.infer<typeof MigrationEntrySchema>;
export type DbtEntry = z.infer<typeof DbtEntrySchema>;

/**
 * Parses and validates `.github/covenant.yml`. An empty file is the default configuration.
 * Throws `CovenantError("invalid_input")` whose message and details carry `file:line:column`.
 */
export const parseRepoConfig = (text: string, file = ".github/covenant.yml"): RepoConfig => {
  const lineCounter = new LineCounter();
  const tooDeep = repositoryYamlProblem(text);
  if (tooDeep) throw invalid(file, [{ file, line: tooDeep.line, column: 1, message: tooDeep.message }]);
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const details: ErrorDetail[] = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { file, line, column: col, message: firstLine(error.message) };
    });
    throw invalid(file, details);
  }
  const value = doc.toJS() ?? {};
  const result = RepoConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const details: ErrorDetail[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const { line, col } = positionOfPath(doc, lineCounter, path, { key });
        details.push({
          file,
          line,
          column: col,
          path: [...path, key].join("."),
          message: `unknown key "${key}"${suggestion(key)}`,
        });
      }
      continue;
    }
    const { line, col } =
      path.length === 0 ? positionOfNode(doc.contents, lineCounter) : positionOfPath(doc, lineCounter, path);
    const where = path.length > 0 ? `${path.join(".")}: ` : "";
    details.push({ file, line, column: col, path: path.join("."), message: `${where}${issue.message}` });
  }
  throw invalid(file, details);
};

const KNOWN_KEYS = [
  "contracts",
  "migrations",
  "dbt",
  "enforcement",
  "ignore",
  "path",
  "dialect",
  "tool",
  "max",
  "min",
];

const suggestion = (key: string): string => {
  const close = KNOWN_KEYS.find((known) => known !== key && (known.startsWith(key) || key.startsWith(known)));
  return close ? ` (did you mean "${close}"?)` : "";
};

const firstLine = (message: string): string => message.split("\n")[0] ?? message;

const invalid = (file: string, details: ErrorDetail[]): CovenantError => {
  const lines = details.map(
    (detail) => `${file}:${detail.line ?? 1}:${detail.column ?? 1} ${detail.message}`,
  );
  return new CovenantError("invalid_input", lines.join("\n"), details);
};
