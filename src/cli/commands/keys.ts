import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { formatDate, installationOf, printTable, withDb } from "../database.ts";
import type { CliIO } from "../io.ts";

const SCOPES = ["read", "manage", "admin"] as const;

/**
 * `covenant keys`: bootstrap and manage API keys from the server's own machine, where there is
 * no key yet to call the API with. `create` prints the key alone on stdout so a script can
 * capture it (`KEY=$(covenant keys create --scope admin)`).
 */
export const registerKeys = (program: Command, io: CliIO) => {
  const keys = program
    .command("keys")
    .description("Create, list and revoke REST API keys (direct database access)");

  keys
    .command("create")
    .description(
      "Create an API key and print it (only the key, on stdout). A key sees one installation's data: the App's for a GitHub organization (--installation <login or installation id>), or \"local\" (the default, created if needed) for API-only use",
    )
    .addOption(new Option("--scope <scope>", "read | manage | admin").choices(SCOPES).makeOptionMandatory())
    .option("--name <name>", "a name to recognise the key by", "cli")
    .option(
      "--installation <login|id>",
      "the GitHub organization or user login, or the App's installation id, whose data the key sees",
      "local",
    )
    .action(async (options: { scope: (typeof SCOPES)[number]; name: string; installation: string }) => {
      const { createApiKey } = await import("../../db/api-keys.ts");
      await withDb(io, async (db, database) => {
        const installation = await installationOf(db, options.installation);
        const { apiKey, secret } = await createApiKey(db, {
          installationId: installation.id,
          name: options.name,
          scope: options.scope,
          createdBy: "cli",
        });
        io.stdout(`${secret}\n`);
        io.stderr(
          `Created ${apiKey.scope} key ${apiKey.id} (${apiKey.prefix}…) for installation "${installation.accountLogin}" in ${database}; a server using another database will not know it. It is not shown again.\n`,
        );
      });
    });

  keys
    .command("list")
    .description("List API keys (never their secrets)")
    .action(async () => {
      const { listAllApiKeys } = await import("../../db/api-keys.ts");
      await withDb(io, async (db) => {
        const rows = await listAllApiKeys(db);
        if (rows.length === 0) {
          io.stdout("No API keys. Create one with: covenant keys create --scope admin\n");
          return;
        }
        const table = [
          ["ID", "NAME", "SCOPE", "PREFIX", "INSTALLATION", "CREATED", "LAST USED", "REVOKED"],
          ...rows.map((k) => [
            k.id,
            k.name,
            k.scope,
            k.prefix,
            k.installation.accountLogin,
            formatDate(k.createdAt),
            formatDate(k.lastUsedAt),
            formatDate(k.revokedAt),
          ]),
        ];
        printTable(io, table);
      });
    });

  keys
    .command("revoke")
    .description("Revoke an API key by id: it stops working at once")
    .argument("<id>", "the key's id (see covenant keys list)")
    .action(async (id: string) => {
      const { getApiKey, revokeApiKey } = await import("../../db/api-keys.ts");
      await withDb(io, async (db) => {
        const key = await getApiKey(db, id);
        if (!key) throw new CovenantError("not_found", `No API key with id ${id} (see covenant keys list).`);
        const revoked = await revokeApiKey(db, key.installationId, id);
        io.stdout(
          `Revoked ${revoked.id} (${revoked.name}, ${revoked.prefix}…) at ${formatDate(revoked.revokedAt)}.\n`,
        );
      });
    });
  return keys;
};
