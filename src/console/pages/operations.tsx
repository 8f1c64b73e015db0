import { JOB_STATUSES } from "../../api/list-schemas.ts";
import {
  Badge,
  ChoiceFilter,
  Field,
  Layout,
  Pager,
  PostForm,
  ScanTable,
  TableHead,
  When,
} from "../layout.tsx";
import { apiError, canManage, isAdmin, loadList, type PageContext, param } from "../page-context.ts";

const SCAN_REFRESH_SECONDS = 3;

const isLive = (status: string) => status === "queued" || status === "running";

const seconds = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

export const analysesPage = async (ctx: PageContext, flash: { notice?: string; error?: string }) => {
  const { page, filters, error } = await loadList(ctx, "/analyses", {
    filters: ["status", "repo", "kind"],
    error: flash.error,
  });
  const { status, repo, kind } = filters;
  return (
    <Layout title="Analyses" viewer={ctx.viewer} path="/analyses" notice={flash.notice} error={error}>
      <h1>Analyses</h1>
      <form class="filters" method="get" action="/analyses">
        <ChoiceFilter id="a-status" label="Status" name="status" choices={JOB_STATUSES} value={status} />
        <ChoiceFilter
          id="a-kind"
          label="Kind"
          name="kind"
          choices={["analyze", "merge-group", "merged", "push"]}
          value={kind}
        />
        <Field id="a-repo" label="Repository">
          <input id="a-repo" name="repo" value={repo ?? ""} placeholder="owner/name" />
        </Field>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Pull request / commit</th>
            <th scope="col">Status</th>
            <th scope="col">Check run</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Error</th>
            <th scope="col">Queued</th>
            {canManage(ctx.viewer) ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {page.content.map(
            (a: {
              id: string;
              kind: string;
              status: string;
              repo: string | null;
              pr_number: number | null;
              head_sha: string | null;
              attempts: number;
              error: string | null;
              queued_at: string;
              duration_ms: number | null;
              check_run: { id: string | null; conclusion: string | null } | null;
            }) => (
              <tr>
                <td>{a.kind}</td>
                <td>
                  {a.repo && a.pr_number ? (
                    <a href={`${ctx.githubWeb}/${a.repo}/pull/${a.pr_number}`}>
                      {a.repo}#{a.pr_number}
                    </a>
                  ) : (
                    (a.repo ?? "")
                  )}{" "}
                  {a.head_sha ? <code>{a.head_sha.slice(0, 7)}</code> : null}
                </td>
                <td>
                  <Badge value={a.status} />
                </td>
                <td>
                  {a.check_run ? (
                    a.check_run.id && a.repo ? (
                      <a href={`${ctx.githubWeb}/${a.repo}/runs/${a.check_run.id}`}>
                        <Badge value={a.check_run.conclusion ?? "in progress"} />
                      </a>
                    ) : (
                      <Badge value={a.check_run.conclusion} />
                    )
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
                <td class="num">{seconds(a.duration_ms)}</td>
                <td class="num">{a.attempts}</td>
                <td>{a.error ? <span class="s-error">{a.error}</span> : ""}</td>
                <td>
                  <When at={a.queued_at} />
                </td>
                {canManage(ctx.viewer) ? (
                  <td>
                    {a.status === "done" || a.status === "dead" ? (
                      <PostForm action={`/analyses/${a.id}/rerun`} csrf={ctx.viewer.csrf}>
                        <button
                          type="submit"
                          class="secondary"
                          aria-label={`Re-run analysis of ${a.repo ?? a.kind}`}
                        >
                          Re-run
                        </button>
                      </PostForm>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ),
          )}
        </tbody>
      </table>
      {page.content.length === 0 ? (
        <p>No analyses yet: they appear when the GitHub App analyses pull requests of this installation.</p>
      ) : null}
      <Pager page={page} base="/analyses" params={filters} />
    </Layout>
  );
};

export const dataPage = async (ctx: PageContext, flash: { notice?: string; error?: string }) => {
  const [sources, scans] = await Promise.all([
    loadList(ctx, "/sources", { size: 100, paged: false }),
    loadList(ctx, "/scans"),
  ]);
  const error = sources.error ?? scans.error ?? flash.error;
  const running = scans.page.content.some((s: { status: string }) => isLive(s.status));
  return (
    <Layout title="Data" viewer={ctx.viewer} path="/data" notice={flash.notice} error={error}>
      <h1>Data</h1>
      <h2>Sources</h2>
      <table>
        <TableHead columns={["Name", "Kind", "Location", "Description"]} />
        <tbody>
          {sources.page.content.map(
            (s: {
              name: string;
              kind: string;
              location: string | null;
              location_env: string | null;
              description: string | null;
            }) => (
              <tr>
                <td>{s.name}</td>
                <td>{s.kind}</td>
                <td>
                  <code>{s.location ?? (s.location_env ? `$${s.location_env}` : "")}</code>
                </td>
                <td>{s.description ?? ""}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      {canManage(ctx.viewer) ? (
        <PostForm action="/sources" csrf={ctx.viewer.csrf} label="Register a data source">
          <Field id="src-name" label="Name">
            <input id="src-name" name="name" required />
          </Field>
          <Field id="src-location" label="File (under the installation's directory)">
            <input id="src-location" name="location" placeholder="shop.db" />
          </Field>
          <Field id="src-env" label="or environment variable">
            <input id="src-env" name="location_env" placeholder="COVENANT_SOURCE_…" />
          </Field>
          <button type="submit">Register source</button>
        </PostForm>
      ) : null}
      <h2>Scans</h2>
      <p class="muted">
        Start a scan from a contract's page.{" "}
        {running ? "Scans are running: open one for its live status and log." : ""}
      </p>
      <ScanTable scans={scans.page.content} ended />
      <Pager page={scans.page} base="/data" params={{}} />
    </Layout>
  );
};

export const scanPage = async (ctx: PageContext, id: string, flash: { notice?: string; error?: string }) => {
  const [scan, logs] = await Promise.all([
    ctx.call("GET", `/scans/${id}`),
    ctx.call("GET", `/scans/${id}/logs`),
  ]);
  if (!scan.ok) return <Layout title="Scan" viewer={ctx.viewer} path="/data" error={apiError(scan.body)} />;
  const s = scan.body;
  const live = isLive(s.status);
  // While it runs the page reloads itself (no client scripts), so status and log stay current;
  // ?live=0 turns that off (WCAG 2.2.1: a timed refresh the user can stop).
  const follow = live && param(ctx, "live") !== "0";
  return (
    <Layout
      title={`Scan ${id}`}
      viewer={ctx.viewer}
      path="/data"
      refresh={follow ? SCAN_REFRESH_SECONDS : undefined}
      {...flash}
    >
      <h1>
        Scan <code>{id}</code> <Badge value={s.status} />
      </h1>
      <p aria-live="polite">
        Contract <a href={`/contracts/${s.contract_id}`}>{s.contract_id}</a> · table{" "}
        {s.table ?? "(the contract's dataset)"} · started <When at={s.started_at ?? s.created_at} /> ·
        finished <When at={s.finished_at} />
      </p>
      {s.error ? <p class="error">{s.error}</p> : null}
      {s.validation_run_id ? (
        <p>
          <a href={`/violations?origin=data&contract=${s.contract_id}`}>
            Violations found by data validation
          </a>
        </p>
      ) : null}
      {follow ? (
        <p>
          This page reloads every {SCAN_REFRESH_SECONDS} seconds while the scan runs.{" "}
          <a href={`/scans/${id}?live=0`}>Stop reloading</a>
        </p>
      ) : live ? (
        <p>
          <a href={`/scans/${id}`}>Reload every {SCAN_REFRESH_SECONDS} seconds while the scan runs</a>
        </p>
      ) : null}
      {live && canManage(ctx.viewer) && !s.cancel_requested ? (
        <PostForm action={`/scans/${id}/cancel`} csrf={ctx.viewer.csrf}>
          <button type="submit" class="danger">
            Cancel scan
          </button>
        </PostForm>
      ) : null}
      {s.cancel_requested && live ? <p>Cancellation requested.</p> : null}
      <h2>Log</h2>
      <pre>
        {(logs.ok ? logs.body.content : []).map((l: { at: string; level: string; message: string }) => (
          <div>
            {l.at.slice(11, 19)} {l.level.padEnd(5)} {l.message}
          </div>
        ))}
      </pre>
    </Layout>
  );
};

export const keysPage = async (
  ctx: PageContext,
  flash: { notice?: string; error?: string; secret?: string },
) => {
  if (!isAdmin(ctx.viewer)) {
    return (
      <Layout title="Keys" viewer={ctx.viewer} path="/keys">
        <h1>API keys</h1>
        <p>Managing API keys needs the admin scope.</p>
      </Layout>
    );
  }
  const { page, error } = await loadList(ctx, "/api-keys", { size: 100, paged: false, error: flash.error });
  return (
    <Layout title="Keys" viewer={ctx.viewer} path="/keys" notice={flash.notice} error={error}>
      <h1>API keys</h1>
      {flash.secret ? (
        <section aria-labelledby="new-key">
          <h2 id="new-key">Your new key</h2>
          <p>Copy it now: it is shown only this once and cannot be recovered.</p>
          <p class="secret">
            <code id="new-key-secret">{flash.secret}</code>
          </p>
        </section>
      ) : null}
      <PostForm action="/keys" csrf={ctx.viewer.csrf} label="Create a key">
        <Field id="key-name" label="Name">
          <input id="key-name" name="name" required />
        </Field>
        <Field id="key-scope" label="Scope">
          <select id="key-scope" name="scope">
            <option value="read">read</option>
            <option value="manage">manage</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <button type="submit">Create key</button>
      </PostForm>
      <table>
        <TableHead columns={["Name", "Scope", "Prefix", "Created", "Last used", "Revoked", "Action"]} />
        <tbody>
          {page.content.map(
            (k: {
              id: string;
              name: string;
              scope: string;
              prefix: string;
              created_at: string;
              last_used_at: string | null;
              revoked_at: string | null;
            }) => (
              <tr>
                <td>{k.name}</td>
                <td>{k.scope}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>
                  <When at={k.created_at} />
                </td>
                <td>
                  <When at={k.last_used_at} />
                </td>
                <td>
                  <When at={k.revoked_at} />
                </td>
                <td>
                  {k.revoked_at ? null : (
                    <PostForm action={`/keys/${k.id}/revoke`} csrf={ctx.viewer.csrf}>
                      <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </button>
                    </PostForm>
                  )}
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </Layout>
  );
};
