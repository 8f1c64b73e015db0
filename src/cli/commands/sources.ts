import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { SOURCE_KINDS, type SourceKind } from "../../sources/types.ts";
import { formatDate, installationOf, printTable, withDb } from "../database.ts";
import type { CliIO } from "../io.ts";

type AddOptions = {
  kind?: SourceKind;
  location?: string;
  locationEnv?: string;
  description?: string;
  installation: string;
};

/**
 * A registration problem as the CLI says it: the message once (its details only repeat it under
 * the API's field paths, which mean nothing on a command line).
 */
const forTheCli = <T>(run: () => T): T => {
  try {
    return run();
  } catch (error) {
    if (error instanceof CovenantError && error.code === "invalid_input")
      throw new CovenantError(error.code, error.message);
    throw error;
  }
};

/**
 * `covenant sources`: register, list and remove the data sources that contracts are validated
 * against, from the server's machine, with the same rules as the API (files under
 * SOURCE_FILES_ROOT/<installation id>/, passwords only in COVENANT_SOURCE_<INSTALLATION ID>__<NAME>
 * environment variables; `where` prints both for an installation). Locations are
 * printed with any password masked.
 */
export const registerSources = (program: Command, io: CliIO) => {
  const sources = program
    .command("sources")
    .description("Register, list and remove data sources for data validation (direct database access)");

  sources
    .command("add")
    .description("Register a data source; it is opened and its tables listed before it is stored")
    .argument("<name>", "a name unique in the installation (letters, digits, _ . -)")
    .option(
      "--location <location>",
      "file path in the installation's directory (see `sources where`), or postgresql:// URL without password",
    )
    .option(
      "--location-env <name>",
      "server environment variable (COVENANT_SOURCE_<INSTALLATION ID>__<NAME>, see `sources where`) holding the URL or path",
    )
    .addOption(new Option("--kind <kind>", "kind of source (default: detected)").choices(SOURCE_KINDS))
    .option("--description <text>", "what the source is")
    .option("--installation <login>", "installation (GitHub account login) the source belongs to", "local")
    .action(async (name: string, options: AddOptions) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name)) {
        throw new CovenantError(
          "invalid_input",
          `Invalid source name "${name}": use letters, digits, _ . - (starting with a letter or digit).`,
        );
      }
      const { loadConfig } = await import("../../config.ts");
      const { CLI_INPUT_NAMES, resolveSourceLocation } = await import("../../sources/source-location.ts");
      const { withRegisteredSource } = await import("../../sources/registered-source.ts");
      const { createDataSource } = await import("../../db/data-sources.ts");
      const { getDatabaseIdentity } = await import("../../db/database-identity.ts");
      const { parseSourceHosts } = await import("../../sources/source-hosts.ts");
      const config = loadConfig(io.env);
      await withDb(io, async (db) => {
        const installation = await installationOf(db, options.installation);
        const ownDatabase = await getDatabaseIdentity(db, config.DATABASE_URL);
        const resolved = forTheCli(() =>
          resolveSourceLocation(
            {
              installationId: installation.id,
              kind: options.kind,
              location: options.location,
              locationEnv: options.locationEnv,
            },
            {
              filesRoot: resolve(io.cwd, config.SOURCE_FILES_ROOT),
              env: io.env,
              hosts: parseSourceHosts(config.SOURCE_HOSTS),
              connectTimeoutMs: config.SOURCE_CONNECT_TIMEOUT_MS,
              ownDatabase,
              names: CLI_INPUT_NAMES,
            },
          ),
        );
        const tables = await withRegisteredSource(resolved, (source) => source.listTables());
        const row = await createDataSource(db, {
          installationId: installation.id,
          name,
          kind: resolved.kind,
          location: resolved.location,
          locationEnv: resolved.locationEnv,
          description: options.description ?? null,
          createdBy: "cli",
        });
        io.stdout(`${row.id}\n`);
        io.stderr(
          `Registered ${resolved.kind} source "${name}" (${resolved.label}) for installation ` +
            `"${installation.accountLogin}": ${tables.length} table(s)${tables.length > 0 ? `: ${tables.slice(0, 10).join(", ")}${tables.length > 10 ? ", …" : ""}` : ""}.\n`,
        );
      });
    });

  sources
    .command("where")
    .description("Print where an installation's source variables and files must be on this server")
    .option("--installation <login>", "installation (GitHub account login)", "local")
    .action(async (options: { installation: string }) => {
      const { loadConfig } = await import("../../config.ts");
      const { installationFilesDir, sourceVariablePrefix } = await import("../../sources/source-location.ts");
      const config = loadConfig(io.env);
      await withDb(io, async (db) => {
        const installation = await installationOf(db, options.installation);
        io.stdout(
          `installation: ${installation.accountLogin} (${installation.id})\n` +
            `variables: ${sourceVariablePrefix(installation.id)}<NAME>\n` +
            `files: ${installationFilesDir(resolve(io.cwd, config.SOURCE_FILES_ROOT), installation.id)}\n`,
        );
      });
    });

  sources
    .command("list")
    .description("List data sources (locations with passwords masked; environment variables by name only)")
    .action(async () => {
      const { listAllDataSources } = await import("../../db/data-sources.ts");
      const { redactLocation } = await import("../../sources/open-source.ts");
      await withDb(io, async (db) => {
        const rows = await listAllDataSources(db);
        if (rows.length === 0) {
          io.stdout("No data sources. Register one with: covenant sources add NAME --location PATH\n");
          return;
        }
        printTable(io, [
          ["ID", "NAME", "KIND", "LOCATION", "INSTALLATION", "CREATED"],
          ...rows.map((s) => [
            s.id,
            s.name,
            s.kind,
            s.locationEnv ? `$${s.locationEnv}` : redactLocation(s.location ?? ""),
            s.installation.accountLogin,
            formatDate(s.createdAt),
          ]),
        ]);
      });
    });

  sources
    .command("remove")
    .description("Remove a data source by id or name (refused while it has scans, unless --force)")
    .argument("<source>", "the source's id or name (see covenant sources list)")
    .option("--force", "also delete its scans (validation runs and violations are kept)")
    .option("--installation <login>", "installation the source belongs to, when given by name", "local")
    .action(async (ref: string, options: { force?: boolean; installation: string }) => {
      const { deleteDataSource, findDataSourceByName, getDataSourceById } = await import(
        "../../db/data-sources.ts"
      );
      await withDb(io, async (db) => {
        const byId = await getDataSourceById(db, ref);
        const source =
          byId ?? (await findDataSourceByName(db, (await installationOf(db, options.installation)).id, ref));
        if (!source) {
          throw new CovenantError("not_found", `No data source "${ref}" (see covenant sources list).`);
        }
        try {
          const { scansDeleted } = await deleteDataSource(db, source.installationId, source.id, {
            force: options.force === true,
          });
          io.stdout(
            `Removed data source "${source.name}" (${source.id})${scansDeleted > 0 ? ` and its ${scansDeleted} scan(s)` : ""}.\n`,
          );
        } catch (error) {
          if (error instanceof CovenantError && error.code === "conflict") {
            throw new CovenantError("conflict", error.message.replace("?force=true", "--force"));
          }
          throw error;
        }
      });
    });
  return sources;
};
