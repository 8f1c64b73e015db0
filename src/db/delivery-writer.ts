import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import type { Db } from "./client.ts";
import {
  type DeliveryJobs,
  type EnqueueJobInput,
  type EnqueueJobResult,
  mergeIntoExisting,
  type RecordDeliveryResult,
} from "./jobs.ts";
import { pgConfig, sqliteFilePath } from "./schema-engine.ts";

/**
 * Records webhook deliveries and queues their jobs: the one write a webhook acknowledgement waits
 * for. It bypasses the ORM: a prepared statement on a connection of its own (SQLite: a few
 * microseconds a row, nothing for the ORM to plan or serialise on the thread that answers webhooks;
 * PostgreSQL: one prepared statement per batch, whatever its size, on two connections the job
 * workers never hold). Only a job whose dedupe key already exists (the pull_request and
 * check_suite events of one push) goes through `mergeIntoExisting` afterwards.
 */
export type DeliveryWriter = {
  /** One result per delivery, in order; a delivery id seen before (or earlier in the batch) is not fresh. */
  record: (deliveries: readonly DeliveryJobs[]) => Promise<RecordDeliveryResult[]>;
  close: () => Promise<void>;
};

/** What the insert did with each delivery: new or not, and for a new one whether each job was created. */
type Written = { fresh: boolean; jobs: { id: string; input: EnqueueJobInput; created: boolean }[] }[];

/** The dedupe keys that already had a row: a queued job takes the newer payload, and so on. */
const settle = async (db: Db, written: Written): Promise<RecordDeliveryResult[]> => {
  const out: RecordDeliveryResult[] = [];
  for (const { fresh, jobs } of written) {
    const results: EnqueueJobResult[] = [];
    for (const job of jobs)
      results.push(job.created ? { id: job.id, outcome: "created" } : await mergeIntoExisting(db, job.input));
    out.push({ fresh, jobs: results });
  }
  return out;
};

const payloadText = (job: EnqueueJobInput) => JSON.stringify(job.payload ?? null);

/** How long a write waits for another connection's transaction (the CLI's, or the ORM's) to end. */
const BUSY_GIVE_UP_MS = 10_000;

const sqliteWriter = (db: Db, url: string): DeliveryWriter => {
  // No busy wait: better-sqlite3 would wait on the thread that runs the very transaction holding
  // the lock (the ORM's interactive transactions await between statements). A busy database is
  // retried after a timer instead, leaving the event loop free.
  const conn = new Database(sqliteFilePath(url), { timeout: 0 });
  // The journal mode (WAL) is the file's, set when the database was opened; the sync level is per
  // connection: NORMAL, as the ORM's (see connectDatabase). An acknowledged delivery survives a
  // crash of the process; only a power loss may undo the last commits. FULL (the log synced at each
  // commit) would sync once per batch, but better-sqlite3 syncs on the calling thread: on a busy
  // disk that held the thread answering webhooks for ~100 ms per burst of 100.
  conn.pragma("synchronous = NORMAL");
  const begin = conn.prepare("BEGIN IMMEDIATE");
  const commit = conn.prepare("COMMIT");
  const rollback = conn.prepare("ROLLBACK");
  const insertDelivery = conn.prepare(
    `INSERT INTO "WebhookDelivery" ("id", "event", "receivedAt") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const insertJob = conn.prepare(
    `INSERT INTO "Job" ("id", "kind", "dedupeKey", "payload", "status", "attempts", "runAt",
        "installationId", "githubInstallationId", "createdAt", "updatedAt")
      VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?) ON CONFLICT ("dedupeKey") DO NOTHING`,
  );
  // The ORM's format for DateTime columns in SQLite.
  const ts = (value: Date) => value.toISOString().replace("Z", "+00:00");
  const write = (deliveries: readonly DeliveryJobs[]): Written => {
    const at = ts(new Date());
    begin.run();
    try {
      const written: Written = deliveries.map((delivery) => {
        // A redelivery (or the same id earlier in this batch) inserts nothing, so queues nothing.
        if (insertDelivery.run(delivery.id, delivery.event, at).changes !== 1)
          return { fresh: false, jobs: [] };
        return {
          fresh: true,
          jobs: delivery.jobs.map((input) => {
            const id = randomUUID();
            const { changes } = insertJob.run(
              id,
              input.kind,
              input.dedupeKey,
              payloadText(input),
              input.runAt ? ts(input.runAt) : at,
              input.installationId ?? null,
              input.githubInstallationId ?? null,
              at,
              at,
            );
            return { id, input, created: changes === 1 };
          }),
        };
      });
      commit.run();
      return written;
    } catch (error) {
      if (conn.inTransaction) rollback.run();
      throw error;
    }
  };
  return {
    record: async (deliveries) => {
      if (deliveries.length === 0) return [];
      const started = Date.now();
      for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
        try {
          return await settle(db, write(deliveries));
        } catch (error) {
          const busy = (error as { code?: string }).code === "SQLITE_BUSY";
          if (!busy || Date.now() - started > BUSY_GIVE_UP_MS) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    close: async () => {
      conn.close();
    },
  };
};

/**
 * PostgreSQL: one statement per batch, prepared once per connection; the batch travels as two JSON
 * texts (deliveries, jobs), which PostgreSQL reads in C: made by one `JSON.stringify` each, where
 * text arrays were escaped element by element in JavaScript (~1.5 ms of the webhook thread per
 * batch of 100). A job's payload is embedded as JSON and stored as the text PostgreSQL keeps of
 * it (`json` keeps its input as written: the same text `JSON.stringify` makes of it alone). The
 * jobs are inserted only with a new delivery. Rows go in key order: instances writing overlapping
 * batches at once (a redelivery to another instance, one push's events) then wait on each other's
 * keys in the same order, never in a cycle, so no acknowledgement fails on a deadlock.
 */
const RECORD_SQL = `WITH d AS (
    INSERT INTO "WebhookDelivery" ("id", "event", "receivedAt")
    SELECT "id", "event", $3::timestamp(3) FROM json_to_recordset($1::json) AS t("id" text, "event" text)
    ON CONFLICT DO NOTHING RETURNING "id"),
  input AS (
    SELECT * FROM json_to_recordset($2::json) AS t("delivery" text, "id" text, "kind" text, "dedupeKey" text,
      "payload" json, "runAt" timestamp(3), "installationId" text, "githubInstallationId" bigint)),
  j AS (
    INSERT INTO "Job" ("id", "kind", "dedupeKey", "payload", "status", "attempts", "runAt",
      "installationId", "githubInstallationId", "createdAt", "updatedAt")
    SELECT "id", "kind", "dedupeKey", COALESCE("payload"::text, 'null'), 'queued', 0, COALESCE("runAt", $3::timestamp(3)),
      "installationId", "githubInstallationId", $3::timestamp(3), $3::timestamp(3)
    FROM input WHERE "delivery" IN (SELECT "id" FROM d)
    ON CONFLICT ("dedupeKey") DO NOTHING RETURNING "id")
  SELECT 'delivery' AS "kind", "id" FROM d UNION ALL SELECT 'job' AS "kind", "id" FROM j`;

const postgresWriter = (db: Db, url: string): DeliveryWriter => {
  const pool = new pg.Pool({ ...pgConfig(url), max: 2 });
  // An idle connection that breaks is replaced on the next query; the error must not crash the server.
  pool.on("error", () => {});
  // Connected now, at boot, not by the first webhook (a failure here is the first query's to report).
  pool.connect().then(
    (client) => client.release(),
    () => {},
  );
  const byKey =
    <T>(key: (item: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  return {
    record: async (deliveries) => {
      if (deliveries.length === 0) return [];
      // `timestamp(3)` columns hold UTC (as the ORM writes them): the zone of the literal is ignored.
      const at = new Date().toISOString();
      // The same id twice in one batch: only the first counts (the second is a redelivery).
      const firstIndex = new Map<string, number>();
      for (const [i, d] of deliveries.entries()) if (!firstIndex.has(d.id)) firstIndex.set(d.id, i);
      const firsts = [...firstIndex.values()].map((i) => deliveries[i]!);
      const planned = deliveries.map((delivery, i) =>
        firstIndex.get(delivery.id) === i ? delivery.jobs.map((input) => ({ id: randomUUID(), input })) : [],
      );
      const rows = planned
        .flatMap((jobs, i) => jobs.map((job) => ({ ...job, delivery: deliveries[i]!.id })))
        .sort(byKey((row) => row.input.dedupeKey));
      const sortedDeliveries = [...firsts].sort(byKey((d) => d.id));
      const result = await pool.query<{ kind: string; id: string }>({
        name: "covenant_record_deliveries",
        text: RECORD_SQL,
        values: [
          JSON.stringify(sortedDeliveries.map(({ id, event }) => ({ id, event }))),
          JSON.stringify(
            rows.map(({ delivery, id, input }) => ({
              delivery,
              id,
              kind: input.kind,
              dedupeKey: input.dedupeKey,
              payload: input.payload ?? null,
              runAt: input.runAt?.toISOString(),
              installationId: input.installationId,
              githubInstallationId: input.githubInstallationId,
            })),
          ),
          at,
        ],
      });
      const fresh = new Set(result.rows.filter((r) => r.kind === "delivery").map((r) => r.id));
      const created = new Set(result.rows.filter((r) => r.kind === "job").map((r) => r.id));
      return settle(
        db,
        deliveries.map((delivery, i) =>
          firstIndex.get(delivery.id) === i && fresh.has(delivery.id)
            ? { fresh: true, jobs: planned[i]!.map((job) => ({ ...job, created: created.has(job.id) })) }
            : { fresh: false, jobs: [] },
        ),
      );
    },
    close: () => pool.end(),
  };
};

/** The writer for `db`'s database (`db.url`); `db` itself takes the rare merges into existing jobs. */
export const openDeliveryWriter = (db: Db): DeliveryWriter =>
  db.provider === "postgresql" ? postgresWriter(db, db.url) : sqliteWriter(db, db.url);
