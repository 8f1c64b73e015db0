import type { Db } from "./client.ts";
import { Prisma } from "./generated/sqlite/client.ts";

export type ActivityDay = {
  date: string;
  analysed: number;
  blocked: number;
  passedWithViolations: number;
  waived: number;
};

export type Activity = {
  since: Date;
  days: ActivityDay[];
  topContracts: { contractId: string | null; contractName: string; violations: number }[];
  topRepositories: { repo: string; violations: number }[];
  totals: { contracts: number; openViolations: number; repositories: number };
};

const DAY_MS = 86_400_000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** The UTC day (YYYY-MM-DD) of a timestamp column, in SQL: SQLite stores ISO text, PostgreSQL timestamps. */
const daySql = (db: Db, column: string) =>
  Prisma.raw(db.provider === "sqlite" ? `substr(${column}, 1, 10)` : `to_char(${column}, 'YYYY-MM-DD')`);
const at = (db: Db, value: Date) =>
  db.provider === "sqlite" ? Prisma.sql`${value}` : Prisma.sql`${value}::timestamp(3)`;

/**
 * What happened to an installation's pull requests per day since `days` ago: PRs analysed, blocked
 * (a failing check), passed with violations (neutral, or success with violations recorded) and
 * waived; the most broken contracts and the repositories with the most violations in that window.
 * Every figure is aggregated by the database: the answer's size does not grow with the rows.
 */
export const summarizeActivity = async (
  db: Db,
  installationId: string,
  { days, now = new Date() }: { days: number; now?: Date },
): Promise<Activity> => {
  const since = new Date(Date.parse(dayOf(now)) - (days - 1) * DAY_MS);
  const [analysed, waived, contracts, repositories, totalContracts, openViolations, totalRepositories] =
    await Promise.all([
      // Per day and PR, the day's last check decides (a PR pushed to three times is analysed once a day).
      db.$queryRaw<{ day: string; analysed: number; blocked: number; pwv: number }[]>`
        WITH last AS (
          SELECT ${daySql(db, 'c."createdAt"')} AS day, c."repositoryId", c."prNumber", c."conclusion",
            ROW_NUMBER() OVER (
              PARTITION BY ${daySql(db, 'c."createdAt"')}, c."repositoryId",
                COALESCE(CAST(c."prNumber" AS TEXT), c."headSha")
              ORDER BY c."createdAt" DESC, c."id" DESC) AS n
          FROM "CheckRecord" c JOIN "Repository" r ON r."id" = c."repositoryId"
          WHERE r."installationId" = ${installationId} AND c."createdAt" >= ${at(db, since)})
        SELECT day, COUNT(*) AS analysed,
          SUM(CASE WHEN "conclusion" = 'failure' THEN 1 ELSE 0 END) AS blocked,
          SUM(CASE WHEN COALESCE("conclusion", '') <> 'failure' AND ("conclusion" = 'neutral' OR EXISTS (
            SELECT 1 FROM "Violation" v WHERE v."repositoryId" = last."repositoryId"
              AND v."prNumber" = last."prNumber" AND v."detectedAt" >= ${at(db, since)})) THEN 1 ELSE 0 END) AS pwv
        FROM last WHERE n = 1 GROUP BY day`,
      db.$queryRaw<{ day: string; prs: number }[]>`
        SELECT ${daySql(db, '"waivedAt"')} AS day,
          COUNT(DISTINCT COALESCE("repositoryId", "gitRepo") || '#' || COALESCE(CAST("prNumber" AS TEXT), '')) AS prs
        FROM "Violation"
        WHERE "installationId" = ${installationId} AND "status" = 'waived' AND "waivedAt" >= ${at(db, since)}
        GROUP BY 1`,
      // Counted by a column of the index that serves the grouping (the count of `id` would make
      // SQLite read every violation's row), ties broken by name so both databases rank alike.
      db.violation.groupBy({
        by: ["contractId", "contractName"],
        where: { installationId, detectedAt: { gte: since } },
        _count: { _all: true },
        orderBy: [
          { _count: { contractName: "desc" } },
          { contractName: "asc" },
          { contractId: { sort: "asc", nulls: "last" } },
        ],
        take: 10,
      }),
      db.violation.groupBy({
        by: ["gitRepo"],
        where: { installationId, detectedAt: { gte: since }, gitRepo: { not: null } },
        _count: { _all: true },
        orderBy: [{ _count: { gitRepo: "desc" } }, { gitRepo: "asc" }],
        take: 10,
      }),
      db.contract.count({ where: { installationId } }),
      db.violation.count({ where: { installationId, status: { in: ["open", "acknowledged"] } } }),
      db.repository.count({ where: { installationId } }),
    ]);
  const byDay = new Map<string, ActivityDay>();
  for (let i = 0; i < days; i++) {
    const date = dayOf(new Date(since.getTime() + i * DAY_MS));
    byDay.set(date, { date, analysed: 0, blocked: 0, passedWithViolations: 0, waived: 0 });
  }
  // Counts come back as bigint from PostgreSQL and as number from SQLite.
  for (const row of analysed) {
    const day = byDay.get(row.day);
    if (!day) continue;
    day.analysed = Number(row.analysed);
    day.blocked = Number(row.blocked);
    day.passedWithViolations = Number(row.pwv);
  }
  for (const row of waived) {
    const day = byDay.get(row.day);
    if (day) day.waived = Number(row.prs);
  }
  return {
    since,
    days: [...byDay.values()],
    topContracts: contracts.map((c) => ({
      contractId: c.contractId,
      contractName: c.contractName,
      violations: c._count._all,
    })),
    topRepositories: repositories.map((r) => ({ repo: r.gitRepo ?? "", violations: r._count._all })),
    totals: { contracts: totalContracts, openViolations, repositories: totalRepositories },
  };
};

export type WouldBlock = {
  prNumber: number;
  prLink: string | null;
  violations: number;
  /** The PR was blocked as it was (one of its violations was already at BLOCK). */
  blockedNow: boolean;
  lastDetectedAt: Date;
};

/**
 * The dry run: the pull requests of a repository that a BLOCK level would have blocked, i.e. that
 * carry an unwaived error-severity violation, newest first (at most `limit`), and how many there are.
 */
export const listWouldBlock = async (
  db: Db,
  installationId: string,
  repoFullName: string,
  limit = 100,
): Promise<{ total: number; newlyBlocked: number; pullRequests: WouldBlock[] }> => {
  const where = {
    installationId,
    gitRepo: repoFullName,
    prNumber: { not: null },
    severity: "error",
    status: { not: "waived" },
  };
  // Grouped by the database (a PR per row, not a violation per row), newest first.
  const [groups, atBlock] = await Promise.all([
    db.violation.groupBy({
      by: ["prNumber"],
      where,
      _count: { _all: true },
      _max: { detectedAt: true, prLink: true },
      orderBy: { _max: { detectedAt: "desc" } },
    }),
    db.violation.groupBy({ by: ["prNumber"], where: { ...where, enforcement: "BLOCK" } }),
  ]);
  const blocked = new Set(atBlock.map((g) => g.prNumber));
  const all = groups
    .filter((g): g is typeof g & { prNumber: number } => g.prNumber !== null)
    .map((g) => ({
      prNumber: g.prNumber,
      prLink: g._max.prLink,
      violations: g._count._all,
      blockedNow: blocked.has(g.prNumber),
      lastDetectedAt: g._max.detectedAt ?? new Date(0),
    }));
  return {
    total: all.length,
    newlyBlocked: all.filter((p) => !p.blockedNow).length,
    pullRequests: all.slice(0, limit),
  };
};
