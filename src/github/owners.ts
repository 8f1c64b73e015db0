import type { Octokit } from "./read-repository.ts";

/** "@acme/data-platform" -> team { org, slug }; "@alice" -> user. */
export const parseOwner = (owner: string): { team: { org: string; slug: string } } | { user: string } => {
  const name = owner.replace(/^@/, "");
  const slash = name.indexOf("/");
  return slash > 0 ? { team: { org: name.slice(0, slash), slug: name.slice(slash + 1) } } : { user: name };
};

const isNotFound = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { status?: unknown }).status === 404;

/** Whether `login` is one of the owners: named directly, or an active member of an owning team. */
export const isContractOwner = async (
  octokit: Octokit,
  { login, owners }: { login: string; owners: readonly string[] },
): Promise<boolean> => {
  const parsed = owners.map(parseOwner);
  if (parsed.some((o) => "user" in o && o.user.toLowerCase() === login.toLowerCase())) return true;
  for (const owner of parsed) {
    if (!("team" in owner)) continue;
    try {
      const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
        org: owner.team.org,
        team_slug: owner.team.slug,
        username: login,
      });
      if (data.state === "active") return true;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return false;
};

/** Asks the owners to review (users and teams); the PR author cannot review their own PR. */
export const requestOwnerReviews = async (
  octokit: Octokit,
  {
    owner,
    repo,
    pullNumber,
    owners,
    author,
  }: { owner: string; repo: string; pullNumber: number; owners: readonly string[]; author: string },
): Promise<void> => {
  const parsed = [...new Set(owners)].map(parseOwner);
  const reviewers = parsed.flatMap((o) =>
    "user" in o && o.user.toLowerCase() !== author.toLowerCase() ? [o.user] : [],
  );
  const teams = parsed.flatMap((o) =>
    "team" in o && o.team.org.toLowerCase() === owner.toLowerCase() ? [o.team.slug] : [],
  );
  if (reviewers.length === 0 && teams.length === 0) return;
  await octokit.rest.pulls.requestReviewers({
    owner,
    repo,
    pull_number: pullNumber,
    ...(reviewers.length > 0 ? { reviewers } : {}),
    ...(teams.length > 0 ? { team_reviewers: teams } : {}),
  });
};
