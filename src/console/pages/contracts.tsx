import { query } from "../api-client.ts";
import { Badge, Field, Layout, Pager, PostForm, When } from "../layout.tsx";
import { diffLines } from "../line-diff.ts";
import { apiError, canManage, type PageContext, param } from "../page-context.ts";

const STATUSES = ["draft", "active", "deprecated", "archived"];
const LEVELS = ["INACTIVE", "RECORD", "NOTIFY", "ALERT", "BLOCK"];

const TEMPLATE = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: status, type: string, required: true }
`;

type Summary = {
  id: string;
  name: string;
  version: string;
  status: string;
  enforcement: string;
  owners: string[];
  dataset: { type: string; name: string };
  file_path?: string | null;
  updated_at?: string;
};

export const contractsPage = async (
  ctx: PageContext,
  flash: { notice?: string; error?: string; draft?: string },
) => {
  const q = param(ctx, "q");
  const status = param(ctx, "status");
  const owner = param(ctx, "owner");
  const cursor = param(ctx, "cursor");
  const res = await ctx.call("GET", `/contracts${query({ q, status, owner, cursor, size: 50 })}`);
  const error = res.ok ? flash.error : apiError(res.body);
  const page = res.ok ? res.body : { content: [], cursor: null };
  return (
    <Layout title="Contracts" viewer={ctx.viewer} path="/contracts" notice={flash.notice} error={error}>
      <h1>Contracts</h1>
      <form class="filters" method="get" action="/contracts">
        <Field id="contract-q" label="Name or dataset contains">
          <input id="contract-q" name="q" type="search" value={q ?? ""} />
        </Field>
        <Field id="contract-status" label="Status">
          <select id="contract-status" name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field id="contract-owner" label="Owner">
          <input id="contract-owner" name="owner" placeholder="@org/team" value={owner ?? ""} />
        </Field>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Dataset</th>
            <th scope="col">Owners</th>
            <th scope="col">Status</th>
            <th scope="col">Enforcement</th>
            <th scope="col">Repository file</th>
            <th scope="col">Version</th>
          </tr>
        </thead>
        <tbody>
          {page.content.map((c: Summary) => (
            <tr>
              <td>
                <a href={`/contracts/${c.id}`}>{c.name}</a>
              </td>
              <td>
                <code>{c.dataset.name}</code> <span class="muted">{c.dataset.type}</span>
              </td>
              <td>{c.owners.join(", ")}</td>
              <td>
                <Badge value={c.status} />
              </td>
              <td>
                <Badge value={c.enforcement} />
              </td>
              <td>{c.file_path ?? <span class="muted">registry</span>}</td>
              <td>{c.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} base="/contracts" params={{ q, status, owner }} />
      {canManage(ctx.viewer) ? (
        <section>
          <h2>Register a contract</h2>
          <PostForm action="/contracts" csrf={ctx.viewer.csrf} inline={false} label="Register a contract">
            <Field
              id="new-contract"
              label="Contract YAML (Covenant format or ODCS v3); a new contract is a draft"
            >
              <textarea id="new-contract" name="contents" rows={12}>
                {flash.draft ?? TEMPLATE}
              </textarea>
            </Field>
            <button type="submit">Register</button>
          </PostForm>
        </section>
      ) : null}
    </Layout>
  );
};

export const contractPage = async (
  ctx: PageContext,
  id: string,
  flash: { notice?: string; error?: string },
) => {
  const contract = await ctx.call("GET", `/contracts/${id}`);
  if (!contract.ok) {
    return <Layout title="Contract" viewer={ctx.viewer} path="/contracts" error={apiError(contract.body)} />;
  }
  const c = contract.body;
  const manage = canManage(ctx.viewer);
  const [versions, assignments, violations, scans, sources, others] = await Promise.all([
    ctx.call("GET", `/contracts/${id}/versions?size=100`),
    ctx.call("GET", `/contracts/${id}/assignments`),
    ctx.call("GET", `/contracts/${id}/violations?size=10`),
    ctx.call("GET", `/contracts/${id}/scans?size=10`),
    manage ? ctx.call("GET", "/sources?size=100") : Promise.resolve({ ok: false, status: 0, body: null }),
    manage && c.status === "active"
      ? ctx.call("GET", "/contracts?status=active&size=100")
      : Promise.resolve({ ok: false, status: 0, body: null }),
  ]);
  const versionList: {
    version: string;
    created_at: string;
    changelog: string | null;
    created_by: string | null;
  }[] = versions.ok ? versions.body.content : [];
  const from = param(ctx, "from");
  const to = param(ctx, "to");
  let diff: ReturnType<typeof diffLines> | undefined;
  let diffError: string | undefined;
  if (from && to) {
    const [a, b] = await Promise.all([
      ctx.call("GET", `/contracts/${id}/versions/${encodeURIComponent(from)}`),
      ctx.call("GET", `/contracts/${id}/versions/${encodeURIComponent(to)}`),
    ]);
    if (a.ok && b.ok) diff = diffLines(a.body.contents ?? "", b.body.contents ?? "");
    else diffError = apiError(a.ok ? b.body : a.body);
  }
  const csrf = ctx.viewer.csrf;
  return (
    <Layout title={c.name} viewer={ctx.viewer} path="/contracts" {...flash}>
      <h1>
        Contract {c.name} <Badge value={c.status} /> <Badge value={c.enforcement} />
      </h1>
      <p>
        Dataset <code>{c.dataset.name}</code> ({c.dataset.type}) · version {c.version} · owners{" "}
        {c.owners.join(", ") || "none"}
        {c.deprecation_reason ? ` · deprecated: ${c.deprecation_reason}` : ""}
      </p>
      {manage ? (
        <section aria-labelledby="lifecycle">
          <h2 id="lifecycle">Lifecycle and enforcement</h2>
          <div class="filters">
            {c.status === "draft" || c.status === "deprecated" ? (
              <PostForm action={`/contracts/${id}/activate`} csrf={csrf}>
                <button type="submit">Activate</button>
              </PostForm>
            ) : null}
            {c.status === "draft" || c.status === "deprecated" ? (
              <PostForm action={`/contracts/${id}/archive`} csrf={csrf}>
                <button type="submit" class="danger">
                  Archive
                </button>
              </PostForm>
            ) : null}
            <PostForm action={`/contracts/${id}/enforcement`} csrf={csrf} label="Enforcement level">
              <Field id="enforcement" label="Enforcement">
                <select id="enforcement" name="enforcement">
                  {LEVELS.map((l) => (
                    <option value={l} selected={l === c.enforcement}>
                      {l}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit" class="secondary">
                Set level
              </button>
            </PostForm>
          </div>
          {c.status === "active" ? (
            <PostForm action={`/contracts/${id}/deprecate`} csrf={csrf} label="Deprecate">
              <Field id="deprecate-reason" label="Reason">
                <input id="deprecate-reason" name="reason" required />
              </Field>
              <Field id="deprecate-successor" label="Successor">
                <select id="deprecate-successor" name="successor_contract_id">
                  <option value="">none</option>
                  {(others.ok ? others.body.content : [])
                    .filter((o: Summary) => o.id !== id)
                    .map((o: Summary) => (
                      <option value={o.id}>{o.name}</option>
                    ))}
                </select>
              </Field>
              <button type="submit" class="secondary">
                Deprecate
              </button>
            </PostForm>
          ) : null}
        </section>
      ) : null}
      <h2>YAML (version {c.version})</h2>
      <pre>
        <code>{c.contents}</code>
      </pre>
      <h2>Versions</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col">Changelog</th>
          </tr>
        </thead>
        <tbody>
          {versionList.map((v) => (
            <tr>
              <td>{v.version}</td>
              <td>
                <When at={v.created_at} />
              </td>
              <td>{v.created_by ?? ""}</td>
              <td>{v.changelog ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {versionList.length > 1 ? (
        <form class="filters" method="get" action={`/contracts/${id}`} aria-label="Compare versions">
          <Field id="diff-from" label="Compare">
            <select id="diff-from" name="from">
              {versionList.map((v, i) => (
                <option value={v.version} selected={from ? v.version === from : i === 1}>
                  {v.version}
                </option>
              ))}
            </select>
          </Field>
          <Field id="diff-to" label="with">
            <select id="diff-to" name="to">
              {versionList.map((v, i) => (
                <option value={v.version} selected={to ? v.version === to : i === 0}>
                  {v.version}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" class="secondary">
            Show diff
          </button>
        </form>
      ) : null}
      {diffError ? <p class="error">{diffError}</p> : null}
      {diff ? (
        <pre>
          {diff.map((l) => (
            <div class={l.kind === "add" ? "diff-add" : l.kind === "del" ? "diff-del" : undefined}>
              {l.kind === "add" ? "+ " : l.kind === "del" ? "- " : "  "}
              {l.text}
            </div>
          ))}
        </pre>
      ) : null}
      {manage ? (
        <details>
          <summary>Publish a new version</summary>
          <PostForm
            action={`/contracts/${id}/versions`}
            csrf={csrf}
            inline={false}
            label="Publish a new version"
          >
            <Field id="version-contents" label="YAML of the new version (a higher semver)">
              <textarea id="version-contents" name="contents" rows={12}>
                {c.contents}
              </textarea>
            </Field>
            <Field id="version-changelog" label="Changelog">
              <input id="version-changelog" name="changelog" />
            </Field>
            <button type="submit">Publish</button>
          </PostForm>
        </details>
      ) : null}
      <h2>Assignments</h2>
      <ul>
        {(assignments.ok ? assignments.body.content : []).map(
          (a: { resource_type: string; resource_id: string }) => (
            <li>
              {a.resource_type} <code>{a.resource_id}</code>{" "}
              {manage ? (
                <PostForm action={`/contracts/${id}/unassign`} csrf={csrf}>
                  <input type="hidden" name="resource_type" value={a.resource_type} />
                  <input type="hidden" name="resource_id" value={a.resource_id} />
                  <button type="submit" class="secondary">
                    Unassign
                  </button>
                </PostForm>
              ) : null}
            </li>
          ),
        )}
      </ul>
      {manage ? (
        <PostForm action={`/contracts/${id}/assign`} csrf={csrf} label="Assign">
          <Field id="assign-type" label="Resource type">
            <select id="assign-type" name="resource_type">
              {["table", "view", "dbt_model", "catalog_table"].map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </Field>
          <Field id="assign-id" label="Resource id">
            <input id="assign-id" name="resource_id" required placeholder="warehouse.public.orders" />
          </Field>
          <button type="submit" class="secondary">
            Assign
          </button>
        </PostForm>
      ) : null}
      <h2>Violations</h2>
      <p>
        <a href={`/violations?contract=${id}`}>
          All {violations.ok ? (violations.body.total_elements ?? "") : ""} violations of {c.name}
        </a>
      </p>
      <h2>Data scans</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Scan</th>
            <th scope="col">Status</th>
            <th scope="col">Table</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {(scans.ok ? scans.body.content : []).map(
            (s: { id: string; status: string; table: string | null; created_at: string }) => (
              <tr>
                <td>
                  <a href={`/scans/${s.id}`}>{s.id}</a>
                </td>
                <td>
                  <Badge value={s.status} />
                </td>
                <td>{s.table ?? ""}</td>
                <td>
                  <When at={s.created_at} />
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      {manage && sources.ok && sources.body.content.length > 0 ? (
        <PostForm action={`/contracts/${id}/verify`} csrf={csrf} label="Start a scan">
          <Field id="scan-source" label="Data source">
            <select id="scan-source" name="source_id">
              {sources.body.content.map((s: { id: string; name: string }) => (
                <option value={s.id}>{s.name}</option>
              ))}
            </select>
          </Field>
          <Field id="scan-table" label="Table (default: the contract's dataset)">
            <input id="scan-table" name="table" />
          </Field>
          <button type="submit">Start scan</button>
        </PostForm>
      ) : manage ? (
        <p class="muted">
          Register a data source on the <a href="/data">Data</a> page to scan this contract's data.
        </p>
      ) : null}
    </Layout>
  );
};
