import { isIP } from "node:net";
import pg from "pg";
import { CovenantError } from "../core/errors.ts";
import type { ObservedTable } from "../core/validate/conform.ts";
import { quoteIdentifier } from "../core/validate/plan.ts";
import { redactLocation } from "./location.ts";
import { POSTGRES_IDENTITY_SQL } from "./own-database.ts";
import { checkedAddress, HostUnreachable } from "./source-hosts.ts";
import { abortError, plainIntegerText, queueing } from "./source-util.ts";
import type { DataSource, QueryOptions, ServerSourceRules } from "./types.ts";

/**
 * A PostgreSQL database through one `pg` client. Every query runs in its own `BEGIN READ ONLY`
 * transaction with `SET LOCAL statement_timeout`, then ROLLBACK, so nothing a rule sends can
 * write, and a runaway query is cancelled by the server. An abort cancels the backend query
 * with pg_cancel_backend from a second connection.
 */

const OID = { int8: 20, bytea: 17, date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700 } as const;

/**
 * Plain JSON values: 64-bit integers as numbers when exact, else text; dates and timestamps as
 * the server writes them (a JavaScript Date would shift a timestamp without zone to local time);
 * bytea as `\x…` text.
 */
const getTypeParser = ((oid: number, format?: string) => {
  if (oid === OID.int8) return (text: string) => plainIntegerText(text);
  if (oid === OID.bytea || oid === OID.date || oid === OID.timestamp || oid === OID.timestamptz)
    return (text: string) => text;
  return pg.types.getTypeParser(oid, format as "text");
}) as typeof pg.types.getTypeParser;

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
]);

/** Never lets the password through, even if a driver message were to quote the URL. */
const scrub = (message: string, location: string): string => {
  let out = message;
  try {
    const url = new URL(location);
    const password = decodeURIComponent(url.password);
    if (password) out = out.replaceAll(password, "***").replaceAll(url.password, "***");
  } catch {
    // Not a parseable URL: nothing more to mask than redactLocation does.
  }
  return out;
};

const connectionError = (label: string, location: string, error: unknown): CovenantError => {
  const e = error as { code?: string; message?: string };
  const message = scrub(e.message ?? String(error), location);
  const hint =
    e.code === "28P01" || e.code === "28000"
      ? "check the user and password"
      : e.code === "3D000"
        ? "check the database name"
        : CONNECTION_CODES.has(e.code ?? "")
          ? "check the host and port, and that the server is running"
          : "check the URL and that the server accepts connections";
  return new CovenantError(
    "source_unavailable",
    `cannot connect to PostgreSQL at ${label}: ${message}: ${hint}`,
  );
};

/**
 * Only the database's own tables are data: the system catalogs (pg_authid, information_schema…)
 * are neither listed nor validated, whatever the role may read.
 */
const USER_SCHEMAS =
  "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/** URL parameters a server-side source may give; the others read server files or change settings. */
const SERVER_URL_PARAMETERS = new Set(["sslmode"]);

const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"] as const;

/** The `pg` configuration of a server-side source, built from the URL alone. */
type ServerTarget = { hostname: string; config: pg.ClientConfig };

const refuse = (message: string): CovenantError =>
  new CovenantError("invalid_input", message, [{ path: "location", message }]);

/**
 * Reads a server-side source's URL into an explicit configuration: user, password, host, port,
 * database and TLS come from the URL and nothing else. Parameters that would make the server read
 * its own files (sslrootcert, sslkey, sslcert, service, passfile) or change session settings
 * (options) are refused, and so are Unix sockets.
 */
const serverTarget = (location: string, label: string): ServerTarget => {
  let url: URL;
  try {
    url = new URL(location.trim());
  } catch {
    throw refuse(`${label} is not a valid URL: write postgresql://user@host:5432/database`);
  }
  const extra = [...url.searchParams.keys()].filter((k) => !SERVER_URL_PARAMETERS.has(k.toLowerCase()));
  if (extra.length > 0) {
    throw refuse(
      `The source URL sets ${extra.join(", ")}, which a source on the server may not: parameters such as ` +
        "sslrootcert, sslkey, sslcert, service, passfile, host and options would make Covenant read its own files " +
        "or change session settings. Only sslmode is accepted.",
    );
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (hostname === "") {
    throw refuse(
      `${label} names no host (a Unix socket is not a data source): write postgresql://user@host/db`,
    );
  }
  const user = decodeURIComponent(url.username);
  if (user === "") {
    throw refuse(
      `${label} names no user: write postgresql://user@host/db (a source never uses the server's own user or PG* settings)`,
    );
  }
  const sslmode = (url.searchParams.get("sslmode") ?? "disable").toLowerCase();
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw refuse(`sslmode=${sslmode} is not one of ${SSL_MODES.join(", ")}`);
  }
  const password = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || user;
  const verify = sslmode === "verify-ca" || sslmode === "verify-full";
  const tls = isIP(hostname) ? {} : { servername: hostname };
  return {
    hostname,
    config: {
      user,
      database,
      port: url.port === "" ? 5432 : Number(url.port),
      // A function: never the server's PGPASSWORD or .pgpass (pg reads them for a missing password).
      password: async () => password,
      ssl:
        sslmode === "disable" || sslmode === "prefer"
          ? false
          : {
              ...tls,
              rejectUnauthorized: verify,
              ...(sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
            },
      client_encoding: "UTF8",
    },
  };
};

/** Builds a client while the process's PG* variables are out of sight (pg reads them as defaults). */
const clientWithoutPgEnvironment = (config: pg.ClientConfig): pg.Client => {
  const saved = Object.entries(process.env).filter(([key]) => /^PG/i.test(key));
  for (const [key] of saved) delete process.env[key];
  try {
    return new pg.Client(config);
  } finally {
    for (const [key, value] of saved) process.env[key] = value;
  }
};

/** One answer for every way a host cannot be reached, given after the same time, so it tells nothing about ports. */
const unreachable = async (label: string, startedAt: number, timeoutMs: number): Promise<CovenantError> => {
  const wait = startedAt + timeoutMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return new CovenantError(
    "source_unavailable",
    `cannot reach a PostgreSQL server at ${label}: the host did not answer within ${Math.round(timeoutMs / 1000)} s, ` +
      "refused the connection, or does not speak PostgreSQL: check the host and port, and that the database accepts " +
      "connections from the Covenant server",
  );
};

/**
 * Settings that end the session's work on the database server when Covenant is gone: a backend
 * whose client died (kill -9, a lost host) stops within seconds instead of running its query to
 * the statement timeout. client_connection_check_interval exists from PostgreSQL 14.
 */
const SESSION_SAFETY_SQL = `SELECT set_config('idle_in_transaction_session_timeout', '60000', false),
  set_config('tcp_keepalives_idle', '15', false), set_config('tcp_keepalives_interval', '5', false),
  set_config('tcp_keepalives_count', '3', false),
  (SELECT set_config('client_connection_check_interval', '1000', false)
     WHERE current_setting('server_version_num')::int >= 140000)`;

export const openPostgresSource = async (
  location: string,
  server?: ServerSourceRules,
): Promise<DataSource> => {
  const label = redactLocation(location);
  const target = server ? serverTarget(location, label) : undefined;
  let address: string | undefined;
  if (server && target) {
    const startedAt = Date.now();
    try {
      address = await checkedAddress(target.hostname, server.hosts);
    } catch (error) {
      if (error instanceof HostUnreachable)
        throw await unreachable(label, startedAt, server.connectTimeoutMs);
      throw error;
    }
  }
  const connect = async (): Promise<pg.Client> => {
    const startedAt = Date.now();
    const common = {
      connectionTimeoutMillis: server?.connectTimeoutMs ?? 15_000,
      types: { getTypeParser },
      application_name: "covenant-validate",
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    const client =
      server && target
        ? clientWithoutPgEnvironment({ ...common, ...target.config, host: address })
        : new pg.Client({ ...common, connectionString: location });
    // A connection dropped by the server must not crash the process: the next query reports it.
    client.on("error", () => undefined);
    try {
      await client.connect();
      // Best effort: a PostgreSQL-compatible server without these settings is still read.
      await client.query(SESSION_SAFETY_SQL).catch(() => undefined);
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      // The server answered as PostgreSQL (a SQLSTATE such as 28P01 or 3D000): its own message helps.
      if (server && !(code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith("08"))) {
        throw await unreachable(label, startedAt, server.connectTimeoutMs);
      }
      throw connectionError(label, location, error);
    }
    if (server?.ownDatabase?.kind === "postgres") {
      const identity = await client
        .query(POSTGRES_IDENTITY_SQL)
        .then((r) => String(r.rows[0]?.identity ?? ""))
        .catch(() => "");
      if (identity === server.ownDatabase.identity) {
        await client.end().catch(() => undefined);
        throw refuse(
          `${label} is Covenant's own database, which holds every installation's contracts and keys: it cannot be a data source. Register the database that holds the data.`,
        );
      }
    }
    return client;
  };
  const client = await connect();
  const serial = queueing();
  /** References of the tables describeTable found, by their reported name, spelled as the catalog does. */
  const resolved = new Map<string, string>();
  let closed = false;

  const cancelBackend = async (pid: number) => {
    const canceller = await connect().catch(() => undefined);
    if (!canceller) return;
    try {
      await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
    } finally {
      await canceller.end().catch(() => undefined);
    }
  };

  const run = (sql: string, params: readonly unknown[], options: QueryOptions) =>
    serial(async () => {
      options.signal?.throwIfAborted();
      if (closed) throw new CovenantError("source_unavailable", `the connection to ${label} is closed`);
      const timeoutMs = Math.max(1, Math.floor(options.timeoutMs));
      let aborted = false;
      let cancelling: Promise<void> | undefined;
      const pid = (client as unknown as { processID: number }).processID;
      const onAbort = () => {
        aborted = true;
        cancelling = cancelBackend(pid).catch(() => undefined);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      let began = false;
      try {
        await client.query("BEGIN READ ONLY");
        began = true;
        await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
        // Aborted while the transaction was opening: the cancel hit BEGIN or SET, not the query.
        if (aborted) throw abortError(options.signal);
        const result = await client.query({ text: sql, values: [...params] });
        return result.rows as Record<string, unknown>[];
      } catch (error) {
        const e = error as { code?: string; message?: string; position?: string };
        if (aborted) throw abortError(options.signal);
        if (e.code === "57014") {
          throw new CovenantError(
            "timeout",
            `a query on ${label} ran past its ${timeoutMs} ms statement timeout and was cancelled: raise the timeout or validate fewer rows (sample limit)`,
          );
        }
        if (e.code === undefined || e.code.startsWith("08") || CONNECTION_CODES.has(e.code)) {
          throw connectionError(label, location, error);
        }
        throw new CovenantError(
          "unprocessable",
          `PostgreSQL could not run the query on ${label}: ${scrub(e.message ?? String(error), location)}`,
          [{ message: sql.length > 500 ? `${sql.slice(0, 500)}…` : sql }],
        );
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
        if (began) await client.query("ROLLBACK").catch(() => undefined);
        // A cancel still in flight must land before the next query starts, not on it; if it hit
        // the ROLLBACK, roll back again (a no-op warning when there is no transaction left).
        if (cancelling) {
          await cancelling;
          if (began) await client.query("ROLLBACK").catch(() => undefined);
        }
      }
    });

  const introspection: QueryOptions = { timeoutMs: 30_000 };

  /** `public.orders`, `orders` (schema public) or `"Sales"."Orders"`: unquoted parts fold to lower case. */
  const splitName = (name: string): Array<{ text: string; quoted: boolean }> =>
    (name.match(/"(?:[^"]|"")*"|[^.]+/g) ?? []).map((p) =>
      p.startsWith('"')
        ? { text: p.slice(1, -1).replaceAll('""', '"'), quoted: true }
        : { text: p.trim(), quoted: false },
    );

  const resolveTable = async (name: string) => {
    const parts = splitName(name);
    if (parts.length < 1 || parts.length > 2) return undefined;
    const [schemaPart, tablePart] = parts.length === 1 ? [{ text: "public", quoted: true }, parts[0]] : parts;
    if (!schemaPart || !tablePart) return undefined;
    // Exact spelling first, then the folded one: `Orders` finds a table created as "Orders" or as orders.
    const candidates = await run(
      `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}
          AND (n.nspname = $1 OR n.nspname = lower($1)) AND (c.relname = $2 OR c.relname = lower($2))`,
      [schemaPart.text, tablePart.text],
      introspection,
    );
    const score = (row: Record<string, unknown>) =>
      (row.schema === schemaPart.text ? 2 : schemaPart.quoted ? -10 : 1) +
      (row.name === tablePart.text ? 2 : tablePart.quoted ? -10 : 1);
    const best = candidates.sort((a, b) => score(b) - score(a))[0];
    if (!best || score(best) < 0) return undefined;
    return best as { oid: number; schema: string; name: string; kind: string };
  };

  return {
    kind: "postgres",
    dialect: "postgres",
    label,
    listTables: async () =>
      (
        await run(
          `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' AND NOT c.relispartition
            ORDER BY 1, 2`,
          [],
          introspection,
        )
      ).map((r) => `${r.schema}.${r.name}`),
    describeTable: async (name?: string): Promise<ObservedTable | undefined> => {
      if (name === undefined || name.trim() === "") return undefined;
      const table = await resolveTable(name);
      if (!table) return undefined;
      const columns = (await run(
        `SELECT a.attname AS name, format_type(b.oid, b.typmod) AS type, NOT (a.attnotnull OR b.domain_not_null) AS nullable,
                CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS labels,
                CASE WHEN et.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = et.oid ORDER BY e.enumsortorder) END AS element_labels
           FROM pg_attribute a
           -- A domain (CREATE DOMAIN posint AS integer ...) is described as the type it is built on,
           -- through every level of domains over domains: its name says nothing of its family. A
           -- NOT NULL domain at any level keeps the column NOT NULL.
           CROSS JOIN LATERAL (
             WITH RECURSIVE d(oid, typmod, depth, domain_not_null) AS (
               SELECT a.atttypid, a.atttypmod, 0, false
               UNION ALL
               SELECT dt.typbasetype, dt.typtypmod, d.depth + 1, d.domain_not_null OR dt.typnotnull
                 FROM d JOIN pg_type dt ON dt.oid = d.oid
                WHERE dt.typtype = 'd' AND d.depth < 16
             )
             SELECT d.oid, d.typmod, d.domain_not_null FROM d ORDER BY d.depth DESC LIMIT 1
           ) b
           JOIN pg_type t ON t.oid = b.oid
           LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum`,
        [table.oid],
        introspection,
      )) as {
        name: string;
        type: string;
        nullable: boolean;
        labels: string[] | null;
        element_labels: string[] | null;
      }[];
      const isTable = table.kind === "r" || table.kind === "p";
      const primaryKey = isTable
        ? (
            await run(
              `SELECT a.attname AS name
                 FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = $1 AND i.indisprimary
                ORDER BY k.ord`,
              [table.oid],
              introspection,
            )
          ).map((r) => String(r.name))
        : undefined;
      resolved.set(
        `${table.schema}.${table.name}`,
        `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`,
      );
      return {
        name: `${table.schema}.${table.name}`,
        columns: columns.map((c) => {
          const values = c.labels ?? c.element_labels;
          return { name: c.name, type: c.type, nullable: c.nullable, ...(values ? { values } : {}) };
        }),
        ...(primaryKey ? { primaryKey } : {}),
      };
    },
    tableRef: (name?: string) => {
      const known = resolved.get(name ?? "");
      if (known) return known;
      const parts = splitName(name ?? "");
      const [schema, table] =
        parts.length === 1 ? [{ text: "public", quoted: true }, parts[0]] : [parts[0], parts[1]];
      const fold = (p: { text: string; quoted: boolean } | undefined) =>
        p === undefined ? "" : p.quoted ? p.text : p.text.toLowerCase();
      return `${quoteIdentifier(fold(schema))}.${quoteIdentifier(fold(table))}`;
    },
    query: run,
    close: async () => {
      if (closed) return;
      closed = true;
      await serial(() => client.end()).catch(() => undefined);
    },
  };
};
