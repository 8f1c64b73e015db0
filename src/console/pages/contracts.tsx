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
import { diffLines } from "../line-diff.ts";
import { apiError, canManage, loadList, type PageContext, param } from "../page-context.ts";

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
  const { page, filters, error } = await loadList<Summary>(ctx, "/contracts", {
    filters: ["q", "status", "owner"],
    error: flash.error,
  });
  const { q, status, owner } = filters;
  return (
    <Layout title="Contracts" viewer={ctx.viewer} path="/contracts" notice={flash.notice} error={error}>
      <h1>Contracts</h1>
      <form class="filters" method="get" action="/contracts">
        <Field id="contract-q" label="Name or dataset contains">
          <input id="contract-q" name="q" type="search" value={q ?? ""} />
        </Field>
        <ChoiceFilter id="contract-status" label="Status" name="status" choices={STATUSES} value={status} />
        <Field id="contract-owner" label="Owner">
          <input id="contract-owner" name="owner" placeholder="@org/team" value={owner ?? ""} />
        </Field>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <table>
        <TableHead
          columns={["Name", "Dataset", "Owners", "Status", "Enforcement", "Repository file", "Version"]}
        />
        <tbody>
          {page.content.map((c) => (
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
      <Pager page={page} base="/contracts" params={filters} />
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
  const none = { page: { content: [], cursor: null } };
  const whole = { paged: false, size: 100 } as const;
  const [versions, assignments, violations, scans, sources, others] = await Promise.all([
    loadList<{ version: string; created_at: string; changelog: string | null; created_by: string | null }>(
      ctx,
      `/contracts/${id}/versions`,
      whole,
    ),
    loadList(ctx, `/contracts/${id}/assignments`, whole),
    loadList(ctx, `/contracts/${id}/violations`, { paged: false, size: 1 }),
    loadList(ctx, `/contracts/${id}/scans`, { paged: false, size: 10 }),
    manage ? loadList<{ id: string; name: string }>(ctx, "/sources", whole) : none,
    // Successor candidates: the first active ones; a deprecation through the API takes any.
    manage && c.status === "active" ? loadList<Summary>(ctx, "/contracts?status=active", whole) : none,
  ]);
  const versionList = versions.page.content;
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
                  {others.page.content
                    .filter((o) => o.id !== id)
                    .map((o) => (
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
        <TableHead columns={["Version", "Published", "By", "Changelog"]} />
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
        {assignments.page.content.map((a: { resource_type: string; resource_id: string }) => (
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
        ))}
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
          All {violations.page.total_elements ?? ""} violations of {c.name}
        </a>
      </p>
      <h2>Data scans</h2>
      <ScanTable scans={scans.page.content} />
      {manage && sources.page.content.length > 0 ? (
        <PostForm action={`/contracts/${id}/verify`} csrf={csrf} label="Start a scan">
          <Field id="scan-source" label="Data source">
            <select id="scan-source" name="source_id">
              {sources.page.content.map((s) => (
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
