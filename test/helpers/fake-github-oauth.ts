// A local stand-in for GitHub's OAuth web flow and the REST calls GitHub sign-in makes (GHE paths:
// the web at /, the API at /api/v3), so the console's sign-in runs end to end without GitHub.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeGitHubUser = {
  login: string;
  installations: { id: number; account: { login: string; type: string } }[];
  /** Organization login -> role in it. */
  orgRoles: Record<string, "admin" | "member">;
};

export const startFakeGitHubOAuth = async ({
  clientId,
  clientSecret,
}: {
  clientId: string;
  clientSecret: string;
}) => {
  const codes = new Map<string, FakeGitHubUser>();
  const tokens = new Map<string, FakeGitHubUser>();
  const state = { nextUser: undefined as FakeGitHubUser | undefined, requests: [] as string[] };
  let n = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    state.requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (url.pathname === "/login/oauth/authorize") {
      if (url.searchParams.get("client_id") !== clientId || !state.nextUser)
        return json(400, { error: "bad client" });
      const code = `code-${++n}`;
      codes.set(code, state.nextUser);
      const back = new URL(url.searchParams.get("redirect_uri") ?? "");
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        const sent = JSON.parse(body || "{}") as {
          client_id?: string;
          client_secret?: string;
          code?: string;
        };
        const who = sent.code ? codes.get(sent.code) : undefined;
        if (sent.client_id !== clientId || sent.client_secret !== clientSecret || !who) {
          return json(200, {
            error: "bad_verification_code",
            error_description: "The code passed is incorrect or expired.",
          });
        }
        codes.delete(sent.code!);
        const token = `gho_fake_${++n}`;
        tokens.set(token, who);
        json(200, { access_token: token, token_type: "bearer", scope: "" });
      });
      return;
    }
    if (!user) return json(401, { message: "Bad credentials" });
    if (url.pathname === "/api/v3/user") return json(200, { login: user.login, id: 1 });
    if (url.pathname === "/api/v3/user/installations") {
      return json(200, { total_count: user.installations.length, installations: user.installations });
    }
    const membership = /^\/api\/v3\/user\/memberships\/orgs\/([^/]+)$/.exec(url.pathname);
    if (membership) {
      const role = user.orgRoles[decodeURIComponent(membership[1]!)];
      return role ? json(200, { state: "active", role }) : json(404, { message: "Not Found" });
    }
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
