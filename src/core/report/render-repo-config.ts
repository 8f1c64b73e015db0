import { DEFAULT_CONTRACT_GLOBS, type MigrationTool } from "../config/repo-config.ts";
import { DIALECTS, type Dialect } from "../model/contract-levels.ts";

export type DetectedMigrations = {
  path: string;
  tool: MigrationTool;
  files: number;
  dialect: Dialect;
  /** Where the dialect comes from, said in a comment ("AUTO_INCREMENT in db/001.sql"). */
  dialectSource: string;
  /** True when a file of the tool (Prisma's migration_lock.toml, sqitch.conf) decides it: not written. */
  dialectFromTool: boolean;
};

export type RepoConfigInput = { migrations: DetectedMigrations[]; dbt: string[] };

const quote = (text: string): string => JSON.stringify(text);

/**
 * A commented `.github/covenant.yml` for what `covenant init` found: every key explained, the
 * detected migration histories and dbt projects filled in, the rest shown commented out.
 */
export const renderRepoConfig = ({ migrations, dbt }: RepoConfigInput): string => {
  const lines = [
    "# Covenant's configuration for this repository. Covenant reads it from the default branch only",
    "# (never from a pull request's head): a change to it takes effect once merged. Every key is",
    "# optional; without this file Covenant detects the usual layouts and assumes PostgreSQL.",
    "",
    "# Where the data contracts are (Covenant or Open Data Contract Standard v3 YAML).",
    "contracts:",
    ...DEFAULT_CONTRACT_GLOBS.map((glob) => `  - ${quote(glob)}`),
    "",
    "# Migration histories, replayed in order to know every table's schema before and after a change.",
    `# dialect: ${DIALECTS.join(" | ")}`,
  ];
  if (migrations.length === 0) {
    lines.push(
      "# None was found: name yours (a directory, relative to the repository root).",
      "migrations: []",
      "#  - path: db/migrations",
      "#    dialect: postgres",
    );
  } else {
    lines.push("migrations:");
    for (const set of migrations) {
      lines.push(`  - path: ${quote(set.path)} # ${set.tool}, ${set.files} file(s)`);
      if (set.dialectFromTool) lines.push(`    # dialect: ${set.dialect} (${set.dialectSource})`);
      else lines.push(`    dialect: ${set.dialect} # ${set.dialectSource}`);
    }
  }
  lines.push("", "# dbt projects (a dbt_project.yml anywhere is found without this list).");
  if (dbt.length === 0) lines.push("# dbt:", "#   - path: analytics");
  else lines.push("dbt:", ...dbt.map((path) => `  - path: ${quote(path === "" ? "." : path)}`));
  lines.push(
    "",
    "# While rolling out, cap every contract's enforcement: a dry run where violations are reported",
    "# and no check fails. Remove the cap once the team trusts the results. A policy set through",
    "# the API by the platform team wins over this.",
    "# enforcement:",
    "#   max: NOTIFY",
    "",
    "# Paths never analysed (test fixtures, vendored schemas).",
    "# ignore:",
    '#   - "test/fixtures/**"',
    "",
  );
  return lines.join("\n");
};
