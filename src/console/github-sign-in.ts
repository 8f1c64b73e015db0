import type { GitHubInstallationAccess } from "./session.ts";

// "Sign in with GitHub" through the App's own OAuth client (the web application flow): GitHub
// says who the user is and which of the App's installations they can reach; organization owners
// (and members of CONSOLE_ADMIN_TEAM) administer an installation, everyone else reads it.

/** Where GitHub sends the user back; app.yml's callback_urls lists it, so the App's OAuth client accepts it. */
export const GITHUB_CALLBACK_PATH = "/auth/github/callback";

export type GitHubOAuth = {
  clientId: string;
  clientSecret: string;
  /** github.com, or the GHE_HOST server (`https://github.example.com`). */
  webUrl: string;
  /** The REST API (https://api.github.com, or the server's /api/v3). */
  apiUrl: string;
  adminTeam?: string;
  fetch?: typeof fetch;
};

export const authorizeUrl = (
  o: GitHubOAuth,
  { redirectUri, state }: { redirectUri: string; state: string },
) =>
  `${o.webUrl}/login/oauth/authorize?${new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: redirectUri,
    state,
    allow_signup: "false",
  }).toString()}`;

class SignInError extends Error {}
export const isSignInError = (error: unknown): error is Error => error instanceof SignInError;

const getJson = async (
  o: GitHubOAuth,
  token: string,
  path: string,
): Promise<{ status: number; body: unknown }> => {
  const res = await (o.fetch ?? fetch)(`${o.apiUrl}${path}`, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": "covenant-console",
    },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json().catch(() => null) };
};

/** The code GitHub sent back -> the user's login and the installations they can reach, with their role. */
export const completeSignIn = async (
  o: GitHubOAuth,
  {
    code,
    redirectUri,
    known,
  }: {
    code: string;
    redirectUri: string;
    /** Covenant's installation for a GitHub installation id (null when Covenant does not know it). */
    known: (githubId: number) => Promise<{ id: string; login: string } | null>;
  },
): Promise<{ login: string; installations: GitHubInstallationAccess[] }> => {
  const tokenRes = await (o.fetch ?? fetch)(`${o.webUrl}/login/oauth/access_token`, {
    method: "POST",
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": "covenant-console",
    },
    body: JSON.stringify({
      client_id: o.clientId,
      client_secret: o.clientSecret,
      code,
      redirect_uri: redirectUri,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const token = (await tokenRes.json().catch(() => null)) as {
    access_token?: string;
    error_description?: string;
  } | null;
  if (!token?.access_token) {
    throw new SignInError(
      `GitHub refused the sign-in (${token?.error_description ?? `HTTP ${tokenRes.status}`}). Try again; if it keeps failing, check GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.`,
    );
  }
  const user = await getJson(o, token.access_token, "/user");
  const login = (user.body as { login?: string } | null)?.login;
  if (user.status !== 200 || !login)
    throw new SignInError(`GitHub did not say who signed in (HTTP ${user.status}).`);
  const list = await getJson(o, token.access_token, "/user/installations?per_page=100");
  const installations =
    (list.body as { installations?: { id: number; account: { login: string; type: string } }[] } | null)
      ?.installations ?? [];
  const access: GitHubInstallationAccess[] = [];
  for (const installation of installations) {
    const ours = await known(installation.id);
    if (!ours) continue;
    access.push({
      id: ours.id,
      login: ours.login,
      role: await roleOf(o, token.access_token, login, installation.account),
    });
  }
  return { login, installations: access };
};

const roleOf = async (
  o: GitHubOAuth,
  token: string,
  login: string,
  account: { login: string; type: string },
): Promise<"admin" | "read"> => {
  if (account.type !== "Organization")
    return account.login.toLowerCase() === login.toLowerCase() ? "admin" : "read";
  const membership = await getJson(o, token, `/user/memberships/orgs/${encodeURIComponent(account.login)}`);
  const m = membership.body as { role?: string; state?: string } | null;
  if (membership.status === 200 && m?.state === "active" && m.role === "admin") return "admin";
  if (o.adminTeam) {
    const [org, slug] = o.adminTeam.includes("/") ? o.adminTeam.split("/", 2) : [account.login, o.adminTeam];
    if (org?.toLowerCase() === account.login.toLowerCase() && slug) {
      const team = await getJson(
        o,
        token,
        `/orgs/${encodeURIComponent(account.login)}/teams/${encodeURIComponent(slug)}/memberships/${encodeURIComponent(login)}`,
      );
      if (team.status === 200 && (team.body as { state?: string } | null)?.state === "active") return "admin";
    }
  }
  return "read";
};
