type Day = {
  date: string;
  analysed: number;
  blocked: number;
  passed_with_violations: number;
  waived: number;
};

const COLORS = { blocked: "#a40e26", withViolations: "#9a6700", clean: "#1a7f37", waived: "#0b5cad" };

/** Pull requests per day as stacked bars (blocked, passed with violations, clean) with waivers as dots. */
export const ActivityChart = ({ days }: { days: Day[] }) => {
  const width = 760;
  const height = 200;
  const left = 36;
  const bottom = 24;
  const max = Math.max(1, ...days.map((d) => Math.max(d.analysed, d.waived)));
  const slot = (width - left) / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (n: number) => ((height - bottom) * n) / max;
  const totals = days.reduce(
    (t, d) => ({
      analysed: t.analysed + d.analysed,
      blocked: t.blocked + d.blocked,
      pwv: t.pwv + d.passed_with_violations,
      waived: t.waived + d.waived,
    }),
    { analysed: 0, blocked: 0, pwv: 0, waived: 0 },
  );
  const summary = `${totals.analysed} pull requests analysed in ${days.length} days: ${totals.blocked} blocked, ${totals.pwv} passed with violations, ${totals.waived} with a waiver.`;
  return (
    <figure style="margin:0">
      <svg
        role="img"
        aria-labelledby="chart-title"
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style="max-width:760px;height:auto"
      >
        <title id="chart-title">{summary}</title>
        <line x1={left} y1={height - bottom} x2={width} y2={height - bottom} stroke="#57606a" />
        <text x={left - 6} y={12} text-anchor="end" font-size="11" fill="#4b5563">
          {max}
        </text>
        <text x={left - 6} y={height - bottom} text-anchor="end" font-size="11" fill="#4b5563">
          0
        </text>
        {days.map((d, i) => {
          const x = left + i * slot + (slot - bar) / 2;
          const clean = Math.max(0, d.analysed - d.blocked - d.passed_with_violations);
          let top = height - bottom;
          const segments = [
            { n: d.blocked, color: COLORS.blocked },
            { n: d.passed_with_violations, color: COLORS.withViolations },
            { n: clean, color: COLORS.clean },
          ].map((s) => {
            top -= y(s.n);
            return s.n > 0 ? <rect x={x} y={top} width={bar} height={y(s.n)} fill={s.color} /> : null;
          });
          return (
            <g>
              {segments}
              {d.waived > 0 ? (
                <circle cx={x + bar / 2} cy={height - bottom - y(d.waived)} r={3.5} fill={COLORS.waived} />
              ) : null}
              {i % Math.ceil(days.length / 8) === 0 ? (
                <text x={x} y={height - 6} font-size="11" fill="#4b5563">
                  {d.date.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span style={`color:${COLORS.blocked}`}>■</span> blocked{" "}
        <span style={`color:${COLORS.withViolations}`}>■</span> passed with violations{" "}
        <span style={`color:${COLORS.clean}`}>■</span> passed clean{" "}
        <span style={`color:${COLORS.waived}`}>●</span> waived. {summary}
      </figcaption>
    </figure>
  );
};
