import { ActivityChart, ActivityTable } from "../chart.tsx";
import { Layout } from "../layout.tsx";
import { apiError, type PageContext, param } from "../page-context.ts";

type TopRow = { name: string; href?: string; count: number; countHref: string };

/** A ranking with its violation counts, each linking to the violations it counts. */
const TopList = ({
  title,
  what,
  empty,
  rows,
}: {
  title: string;
  what: string;
  empty: string;
  rows: TopRow[];
}) => (
  <section style="flex:1;min-width:18rem">
    <h2>{title}</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">{what}</th>
          <th scope="col" class="num">
            Violations
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>{r.href ? <a href={r.href}>{r.name}</a> : r.name}</td>
            <td class="num">
              <a href={r.countHref}>{r.count}</a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    {rows.length === 0 ? <p class="muted">{empty}</p> : null}
  </section>
);

export const overviewPage = async (ctx: PageContext) => {
  const days = Number(param(ctx, "days") ?? 30);
  const res = await ctx.call(
    "GET",
    `/overview?days=${Number.isInteger(days) && days > 0 && days <= 365 ? days : 30}`,
  );
  if (!res.ok)
    return <Layout title="Overview" viewer={ctx.viewer} path="/overview" error={apiError(res.body)} />;
  const o = res.body;
  return (
    <Layout title="Overview" viewer={ctx.viewer} path="/overview">
      <h1>Overview of {ctx.viewer.installation}</h1>
      <div class="cards">
        <div class="card">
          <strong>{o.totals.contracts}</strong> contracts
        </div>
        <div class="card">
          <strong>{o.totals.open_violations}</strong> open violations
        </div>
        <div class="card">
          <strong>{o.totals.repositories}</strong> repositories
        </div>
      </div>
      <h2>Pull requests, last {o.days.length} days</h2>
      <form class="filters" method="get" action="/overview">
        <div class="field">
          <label for="days">Days</label>
          <select id="days" name="days">
            {[7, 30, 90, 365].map((d) => (
              <option value={String(d)} selected={d === o.days.length}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      <ActivityChart days={o.days} />
      <details>
        <summary>The chart's figures</summary>
        <ActivityTable days={o.days} />
      </details>
      <div class="cards" style="align-items:flex-start">
        <TopList
          title="Most broken contracts"
          what="Contract"
          empty="No violations in this window."
          rows={o.top_contracts.map(
            (c: { contract_id: string | null; contract_name: string; violations: number }) => ({
              name: c.contract_name,
              href: c.contract_id ? `/contracts/${c.contract_id}` : undefined,
              count: c.violations,
              countHref: `/violations?contract=${c.contract_id ?? ""}`,
            }),
          )}
        />
        <TopList
          title="Repositories with most violations"
          what="Repository"
          empty="No pull request violations in this window."
          rows={o.top_repositories.map((r: { repo: string; violations: number }) => ({
            name: r.repo,
            href: `/repositories/${r.repo}`,
            count: r.violations,
            countHref: `/violations?repo=${encodeURIComponent(r.repo)}`,
          }))}
        />
      </div>
    </Layout>
  );
};
