import { Badge, ChoiceFilter, Field, Layout, Pager, PostForm, TableHead, When } from "../layout.tsx";
import { canManage, loadList, type PageContext } from "../page-context.ts";

type Violation = {
  id: string;
  status: string;
  rule: string;
  severity: string;
  enforcement: string;
  contract_id: string | null;
  contract_name: string;
  dataset: string;
  column: string | null;
  message: string;
  file: string | null;
  line: number | null;
  git_hash: string | null;
  git_repo: string | null;
  pr_number: number | null;
  pr_link: string | null;
  notes: string | null;
  resolution: string | null;
  resolved_by: string | null;
  waived_by: string | null;
  waiver_reason: string | null;
  waived_at: string | null;
  validation_run_id: string | null;
  detected_at: string;
};

const FILTERS = ["status", "rule", "contract", "repo", "pr", "origin", "since"] as const;

const Where = ({ v, githubWeb }: { v: Violation; githubWeb: string }) => {
  const pr =
    v.pr_number !== null ? (
      <a href={v.pr_link ?? `${githubWeb}/${v.git_repo}/pull/${v.pr_number}`}>
        {v.git_repo}#{v.pr_number}
      </a>
    ) : null;
  const file =
    v.file && v.git_repo && v.git_hash ? (
      <a href={`${githubWeb}/${v.git_repo}/blob/${v.git_hash}/${v.file}${v.line ? `#L${v.line}` : ""}`}>
        {v.file}
        {v.line ? `:${v.line}` : ""}
      </a>
    ) : v.file ? (
      <code>
        {v.file}
        {v.line ? `:${v.line}` : ""}
      </code>
    ) : null;
  return (
    <span>
      {pr}
      {pr && file ? <br /> : null}
      {file}
      {!pr && !file && v.validation_run_id ? <span class="muted">data validation</span> : null}
    </span>
  );
};

export const violationsPage = async (ctx: PageContext, flash: { notice?: string; error?: string }) => {
  const [{ page, filters, error }, waivers] = await Promise.all([
    loadList<Violation>(ctx, "/violations", { filters: FILTERS, error: flash.error }),
    loadList<Violation>(ctx, "/waivers", { size: 20, paged: false }),
  ]);
  const manage = canManage(ctx.viewer);
  return (
    <Layout title="Violations" viewer={ctx.viewer} path="/violations" notice={flash.notice} error={error}>
      <h1>Violations</h1>
      <form class="filters" method="get" action="/violations" aria-label="Filter violations">
        <ChoiceFilter
          id="f-status"
          label="Status"
          name="status"
          choices={["open", "acknowledged", "resolved", "waived"]}
          value={filters.status}
        />
        <Field id="f-rule" label="Rule">
          <input id="f-rule" name="rule" value={filters.rule ?? ""} placeholder="column-removed" size={14} />
        </Field>
        <Field id="f-contract" label="Contract id">
          <input id="f-contract" name="contract" value={filters.contract ?? ""} size={12} />
        </Field>
        <Field id="f-repo" label="Repository">
          <input id="f-repo" name="repo" value={filters.repo ?? ""} placeholder="owner/name" size={14} />
        </Field>
        <Field id="f-pr" label="PR">
          <input id="f-pr" name="pr" value={filters.pr ?? ""} inputmode="numeric" size={5} />
        </Field>
        <Field id="f-origin" label="Origin">
          <select id="f-origin" name="origin">
            <option value="">any</option>
            <option value="pr" selected={filters.origin === "pr"}>
              pull request
            </option>
            <option value="data" selected={filters.origin === "data"}>
              data
            </option>
          </select>
        </Field>
        <Field id="f-since" label="Since">
          <input id="f-since" name="since" type="date" value={filters.since ?? ""} />
        </Field>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Violation</th>
            <th scope="col">Contract</th>
            <th scope="col">Where</th>
            <th scope="col">Status</th>
            <th scope="col">Detected</th>
            {manage ? <th scope="col">Triage</th> : null}
          </tr>
        </thead>
        <tbody>
          {page.content.map((v) => (
            <tr id={`violation-${v.id}`}>
              <td>
                <Badge value={v.severity} /> <code>{v.rule}</code>
                <br />
                {v.message}
                {v.notes ? (
                  <>
                    <br />
                    <span class="muted">Notes: {v.notes}</span>
                  </>
                ) : null}
              </td>
              <td>
                {v.contract_id ? (
                  <a href={`/contracts/${v.contract_id}`}>{v.contract_name}</a>
                ) : (
                  v.contract_name
                )}{" "}
                <Badge value={v.enforcement} />
              </td>
              <td>
                <Where v={v} githubWeb={ctx.githubWeb} />
              </td>
              <td>
                <Badge value={v.status} />
                {v.resolved_by ? <span class="muted"> by {v.resolved_by}</span> : null}
              </td>
              <td>
                <When at={v.detected_at} />
              </td>
              {manage ? (
                <td>
                  {v.status === "open" || v.status === "acknowledged" ? (
                    <PostForm
                      action={`/violations/${v.id}/triage`}
                      csrf={ctx.viewer.csrf}
                      label={`Triage ${v.rule}`}
                    >
                      <Field id={`notes-${v.id}`} label="Notes">
                        <input id={`notes-${v.id}`} name="notes" size={16} />
                      </Field>
                      {v.status === "open" ? (
                        <button type="submit" name="action" value="acknowledge" class="secondary">
                          Acknowledge
                        </button>
                      ) : null}
                      <button type="submit" name="action" value="resolve">
                        Resolve
                      </button>
                    </PostForm>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {page.content.length === 0 ? <p>No violations match.</p> : null}
      <Pager page={page} base="/violations" params={filters} />
      <h2 id="waivers">Waiver ledger</h2>
      <table aria-labelledby="waivers">
        <TableHead columns={["Waived", "By", "Why", "Pull request", "Violation"]} />
        <tbody>
          {waivers.page.content.map((w) => (
            <tr>
              <td>
                <When at={w.waived_at} />
              </td>
              <td>{w.waived_by ?? ""}</td>
              <td>{w.waiver_reason ?? ""}</td>
              <td>
                {w.pr_number !== null ? (
                  <a href={w.pr_link ?? `${ctx.githubWeb}/${w.git_repo}/pull/${w.pr_number}`}>
                    {w.git_repo}#{w.pr_number}
                  </a>
                ) : null}
              </td>
              <td>
                <code>{w.rule}</code> on {w.contract_name}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {waivers.error ? (
        <p class="error">{waivers.error}</p>
      ) : waivers.page.content.length === 0 ? (
        <p class="muted">No waivers yet.</p>
      ) : null}
    </Layout>
  );
};
