import type { Verdict } from "../model/violation.ts";
import {
  type AnnotationLevel,
  findingAnnotationLevel,
  violationAnnotationLevel,
} from "./annotation-level.ts";

// Workflow command escaping, as the Actions toolkit does it.
const escapeData = (s: string): string =>
  s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const escapeProperty = (s: string): string => escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

export type GithubAnnotation = { level: AnnotationLevel; command: string };

/**
 * One workflow command per open violation and finding, in report order, at the level the App's
 * check run gives it (see annotation-level.ts).
 */
export const githubAnnotations = (verdict: Verdict): GithubAnnotation[] => {
  const line = (
    level: AnnotationLevel,
    file: string | undefined,
    at: number | undefined,
    title: string,
    message: string,
  ): GithubAnnotation => {
    const props = [
      ...(file ? [`file=${escapeProperty(file)}`] : []),
      ...(file && at ? [`line=${at}`] : []),
      `title=${escapeProperty(title)}`,
    ];
    return { level, command: `::${level} ${props.join(",")}::${escapeData(message)}` };
  };
  return [
    ...verdict.violations
      .filter((v) => !v.waived)
      .map((v) =>
        line(
          violationAnnotationLevel(v),
          v.file,
          v.line,
          `${v.rule} (${v.contract}, ${v.enforcement})`,
          v.help ? `${v.message}\n${v.help}` : v.message,
        ),
      ),
    ...verdict.findings.map((f) => line(findingAnnotationLevel(f), f.file, f.line, f.rule, f.message)),
  ];
};

/** The closing line of the github format: the verdict in one line. */
export const githubVerdictLine = (verdict: Verdict): string =>
  `covenant: ${verdict.conclusion} (score ${verdict.score}, ${verdict.status})`;

/** GitHub Actions workflow commands: one annotation per violation and finding. */
export const renderGithub = (verdict: Verdict): string =>
  `${[...githubAnnotations(verdict).map((a) => a.command), githubVerdictLine(verdict)].join("\n")}\n`;
