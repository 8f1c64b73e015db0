import type { Db } from "./client.ts";

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

/**
 * What happened to an installation's pull requests per day since `days` ago: PRs analysed, blocked
 * (a failing check), passed with violations (neutral, or success with violations recorded) and
 * waived; the most broken contracts and the repositories with the most violations in that window.
 */
export const summarizeActivity = async (
  db: Db,
  installationId: string,
  { days, now = new Date() }: { days: number; now?: Date },
): Promise<Activity> => {
  const since = new Date(Date.parse(dayOf(now)) - (days - 1) * DAY_MS);
  const repos = await db.repository.findMany({ where: { installationId }, select: { id: true } });
  const repoIds = repos.map((r) => r.id);
  const [checks, prsWithViolations, waivers, contracts, repositories, totalContracts, openViolations] =
    await Promise.all([
      repoIds.length
        ? db.checkRecord.findMany({
            where: { repositoryId: { in: repoIds }, createdAt: { gte: since } },
            select: { repositoryId: true, prNumber: true, headSha: true, conclusion: true, createdAt: true },
            orderBy: [{ createdAt: "asc" }],
          })
        : [],
      db.violation.groupBy({
        by: ["repositoryId", "prNumber"],
        where: { installationId, prNumber: { not: null }, detectedAt: { gte: since } },
      }),
      db.violation.findMany({
        where: { installationId, status: "waived", waivedAt: { gte: since } },
        select: { repositoryId: true, gitRepo: true, prNumber: true, waivedAt: true },
      }),
      db.violation.groupBy({
        by: ["contractId", "contractName"],
        where: { installationId, detectedAt: { gte: since } },
        _count: { _all: true },
        orderBy: { _count: { id: "desc" } },
        take: 10,
      }),
      db.violation.groupBy({
        by: ["gitRepo"],
        where: { installationId, detectedAt: { gte: since }, gitRepo: { not: null } },
        _count: { _all: true },
        orderBy: { _count: { id: "desc" } },
        take: 10,
      }),
      db.contract.count({ where: { installationId } }),
      db.violation.count({ where: { installationId, status: { in: ["open", "acknowledged"] } } }),
    ]);
  const withViolations = new Set(prsWithViolations.map((v) => `${v.repositoryId}#${v.prNumber}`));
  const byDay = new Map<string, ActivityDay>();
  for (let i = 0; i < days; i++) {
    const date = dayOf(new Date(since.getTime() + i * DAY_MS));
    byDay.set(date, { date, analysed: 0, blocked: 0, passedWithViolations: 0, waived: 0 });
  }
  // Per day and PR, the day's last check decides (a PR pushed to three times is analysed once a day).
  const lastOfDay = new Map<string, (typeof checks)[number]>();
  for (const check of checks) {
    const pr = check.prNumber === null ? check.headSha : `#${check.prNumber}`;
    lastOfDay.set(`${dayOf(check.createdAt)} ${check.repositoryId}${pr}`, check);
  }
  for (const check of lastOfDay.values()) {
    const day = byDay.get(dayOf(check.createdAt));
    if (!day) continue;
    day.analysed++;
    if (check.conclusion === "failure") day.blocked++;
    else if (
      check.conclusion === "neutral" ||
      (check.prNumber !== null && withViolations.has(`${check.repositoryId}#${check.prNumber}`))
    )
      day.passedWithViolations++;
  }
  const waivedPrs = new Set<string>();
  for (const w of waivers) {
    if (!w.waivedAt) continue;
    const key = `${dayOf(w.waivedAt)} ${w.repositoryId ?? w.gitRepo}#${w.prNumber}`;
    if (waivedPrs.has(key)) continue;
    waivedPrs.add(key);
    const day = byDay.get(dayOf(w.waivedAt));
    if (day) day.waived++;
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
    totals: { contracts: totalContracts, openViolations, repositories: repoIds.length },
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
  const rows = await db.violation.findMany({
    where: {
      installationId,
      gitRepo: repoFullName,
      prNumber: { not: null },
      severity: "error",
      status: { not: "waived" },
    },
    select: { prNumber: true, prLink: true, enforcement: true, detectedAt: true },
  });
  const prs = new Map<number, WouldBlock>();
  for (const row of rows) {
    if (row.prNumber === null) continue;
    const pr = prs.get(row.prNumber) ?? {
      prNumber: row.prNumber,
      prLink: row.prLink,
      violations: 0,
      blockedNow: false,
      lastDetectedAt: row.detectedAt,
    };
    pr.violations++;
    pr.blockedNow ||= row.enforcement === "BLOCK";
    if (row.detectedAt > pr.lastDetectedAt) pr.lastDetectedAt = row.detectedAt;
    pr.prLink ??= row.prLink;
    prs.set(row.prNumber, pr);
  }
  const all = [...prs.values()].sort((a, b) => b.lastDetectedAt.getTime() - a.lastDetectedAt.getTime());
  return {
    total: all.length,
    newlyBlocked: all.filter((p) => !p.blockedNow).length,
    pullRequests: all.slice(0, limit),
  };
};
