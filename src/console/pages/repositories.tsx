import { query } from "../api-client.ts";
import { Badge, Field, Layout, Pager, PostForm, When } from "../layout.tsx";
import { apiError, isAdmin, loadList, type PageContext } from "../page-context.ts";

const LEVELS = ["INACTIVE", "RECORD", "NOTIFY", "ALERT", "BLOCK"];

type Policy = { max: string | null; min: string | null };

type RepositoryRow = {
  full_name: string;
  removed_at: string | null;
  policy: Policy;
  contract_levels: string[];
  open_violations: number;
  last_analysis: { pr_number: number | null; conclusion: string | null; at: string } | null;
};

const PolicyForm = ({ ctx, repo, policy }: { ctx: PageContext; repo: string; policy: Policy }) => {
  const id = repo.replace(/[^A-Za-z0-9]/g, "-");
  return (
    <PostForm action={`/repositories/${repo}/policy`} csrf={ctx.viewer.csrf} label={`Policy of ${repo}`}>
      <Field id={`max-${id}`} label="Cap (max)">
        <select id={`max-${id}`} name="max">
          <option value="">none</option>
          {LEVELS.map((l) => (
            <option value={l} selected={policy.max === l}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`min-${id}`} label="Floor (min)">
        <select id={`min-${id}`} name="min">
          <option value="">none</option>
          {LEVELS.map((l) => (
            <option value={l} selected={policy.min === l}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit">Save policy</button>
    </PostForm>
  );
};

const PolicyText = ({ policy }: { policy: Policy }) => (
  <span>
    cap <Badge value={policy.max} /> floor <Badge value={policy.min} />
  </span>
);

export const repositoriesPage = async (ctx: PageContext, flash: { notice?: string; error?: string }) => {
  const { page, filters, error } = await loadList<RepositoryRow>(ctx, "/repositories", {
    filters: ["name"],
    error: flash.error,
  });
  const admin = isAdmin(ctx.viewer);
  return (
    <Layout title="Repositories" viewer={ctx.viewer} path="/repositories" notice={flash.notice} error={error}>
      <h1>Repositories</h1>
      <p class="muted">
        The cap (max) limits every contract's level in the repository (NOTIFY while rolling out: the dry run);
        the floor (min) raises it. {admin ? "Edit them in place." : "Only admins edit policies."}
      </p>
      <form class="filters" method="get" action="/repositories">
        <Field id="repo-name" label="Name contains">
          <input id="repo-name" name="name" value={filters.name ?? ""} />
        </Field>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {page.content.length === 0 ? (
        <p>
          No repositories yet. Repositories appear when the GitHub App is installed on an organization or user
          (see docs/github-app.md); a local installation has none.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Policy</th>
              <th scope="col">Contract levels</th>
              <th scope="col" class="num">
                Open violations
              </th>
              <th scope="col">Last analysis</th>
            </tr>
          </thead>
          <tbody>
            {page.content.map((r) => (
              <tr>
                <td>
                  <a href={`/repositories/${r.full_name}`}>{r.full_name}</a>
                  {r.removed_at ? <span class="muted"> (removed)</span> : null}
                </td>
                <td>
                  {admin && !r.removed_at ? (
                    <PolicyForm ctx={ctx} repo={r.full_name} policy={r.policy} />
                  ) : (
                    <PolicyText policy={r.policy} />
                  )}
                </td>
                <td>
                  {r.contract_levels.length ? (
                    r.contract_levels.map((l) => <Badge value={l} />)
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
                <td class="num">
                  <a href={`/violations?repo=${encodeURIComponent(r.full_name)}&status=open`}>
                    {r.open_violations}
                  </a>
                </td>
                <td>
                  {r.last_analysis ? (
                    <span>
                      {r.last_analysis.pr_number ? `#${r.last_analysis.pr_number} ` : ""}
                      <Badge value={r.last_analysis.conclusion} /> <When at={r.last_analysis.at} />
                    </span>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} base="/repositories" params={filters} />
    </Layout>
  );
};

export const repositoryPage = async (
  ctx: PageContext,
  owner: string,
  repo: string,
  flash: { notice?: string; error?: string },
) => {
  const full = `${owner}/${repo}`;
  const [policy, dryRun, analyses] = await Promise.all([
    ctx.call("GET", `/repos/${owner}/${repo}/policy`),
    ctx.call("GET", `/repos/${owner}/${repo}/dry-run`),
    ctx.call("GET", `/analyses${query({ repo: full, size: 10 })}`),
  ]);
  if (!policy.ok)
    return <Layout title={full} viewer={ctx.viewer} path="/repositories" error={apiError(policy.body)} />;
  const d = dryRun.body;
  return (
    <Layout title={full} viewer={ctx.viewer} path="/repositories" {...flash}>
      <h1>
        <a href={`${ctx.githubWeb}/${full}`}>{full}</a>
      </h1>
      <h2>Policy</h2>
      {isAdmin(ctx.viewer) ? (
        <PolicyForm ctx={ctx} repo={full} policy={policy.body} />
      ) : (
        <PolicyText policy={policy.body} />
      )}
      <h2>Dry run: at BLOCK</h2>
      <p id="dry-run-summary">
        Had this repository been at BLOCK, <strong>{d.would_block}</strong> pull request
        {d.would_block === 1 ? "" : "s"} would have been blocked ({d.newly_blocked} of them were not blocked
        as it was).
      </p>
      {d.pull_requests.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Pull request</th>
              <th scope="col" class="num">
                Unwaived error violations
              </th>
              <th scope="col">Blocked as it was</th>
              <th scope="col">Last detected</th>
            </tr>
          </thead>
          <tbody>
            {d.pull_requests.map(
              (p: {
                number: number;
                link: string | null;
                violations: number;
                blocked_now: boolean;
                last_detected_at: string;
              }) => (
                <tr>
                  <td>
                    <a href={p.link ?? `${ctx.githubWeb}/${full}/pull/${p.number}`}>#{p.number}</a>
                  </td>
                  <td class="num">
                    <a href={`/violations?repo=${encodeURIComponent(full)}&pr=${p.number}`}>{p.violations}</a>
                  </td>
                  <td>{p.blocked_now ? "yes" : "no"}</td>
                  <td>
                    <When at={p.last_detected_at} />
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      ) : null}
      <h2>Recent analyses</h2>
      <p>
        <a href={`/analyses?repo=${encodeURIComponent(full)}`}>All analyses of {full}</a> ·{" "}
        {analyses.ok ? `${analyses.body.total_elements ?? analyses.body.content.length} in all` : ""}
      </p>
    </Layout>
  );
};
