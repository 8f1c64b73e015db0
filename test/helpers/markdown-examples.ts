// The examples of a Markdown document as a reader meets them: fenced shell blocks, each with the
// output the document shows right after it (an unlabelled block), and the marks that say why a
// block is not run (`<!-- not-run: reason -->`) or which exit code it ends with (`<!-- exit: N -->`).

export type ShellExample = {
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** Why the docs test does not run it, as the document says (never silent). */
  notRun?: string;
  /** The exit code the example ends with (0 unless marked). */
  exit: number;
  /** The output the document shows for it: its stdout, `…` lines standing for any lines. */
  output?: { line: number; text: string };
};

export type MarkdownExamples = {
  shell: ShellExample[];
  /** YAML blocks that are whole contracts (a top-level `name:` and `dataset:`). */
  contracts: Array<{ line: number; text: string }>;
  /** Problems with the document's examples themselves (an unlabelled block of commands, a bad mark). */
  problems: string[];
};

const SHELL = new Set(["sh", "bash", "shell", "console"]);
const COMMAND_LIKE = /^\s*(\$ |npx |npm |curl |covenant |git |cp |mkdir |cat |export )/;

type Fence = {
  line: number;
  lang: string;
  text: string;
  marks: string[];
  /** Prose stands between this block and the previous one. */
  afterProse: boolean;
};

const fences = (markdown: string): Fence[] => {
  const lines = markdown.split("\n");
  const found: Fence[] = [];
  let marks: string[] = [];
  let prose = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const open = /^\s*(```+)\s*([\w-]*)/.exec(line);
    if (open) {
      const fence = open[1] ?? "```";
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !(lines[j] ?? "").trim().startsWith(fence)) body.push(lines[j++] ?? "");
      found.push({
        line: i + 1,
        lang: (open[2] ?? "").toLowerCase(),
        text: body.join("\n"),
        marks,
        afterProse: prose,
      });
      marks = [];
      prose = false;
      i = j;
      continue;
    }
    if (line.trim() === "") continue;
    prose = true;
    const mark = /^<!--\s*((?:not-run|exit)\b.*?)\s*-->$/.exec(line.trim());
    if (mark) marks.push(mark[1] ?? "");
    else marks = [];
  }
  return found;
};

export const markdownExamples = (markdown: string): MarkdownExamples => {
  const problems: string[] = [];
  const shell: ShellExample[] = [];
  const contracts: MarkdownExamples["contracts"] = [];
  const all = fences(markdown);
  for (const [index, fence] of all.entries()) {
    const previous = index > 0 ? all[index - 1] : undefined;
    if (SHELL.has(fence.lang)) {
      const example: ShellExample = { line: fence.line, text: fence.text, exit: 0 };
      for (const mark of fence.marks) {
        const notRun = /^not-run:\s*(.+)$/s.exec(mark);
        const exit = /^exit:\s*(\d+)$/.exec(mark);
        if (notRun) example.notRun = notRun[1]?.trim();
        else if (exit) example.exit = Number(exit[1]);
        else problems.push(`line ${fence.line}: mark "${mark}" is not "not-run: <reason>" or "exit: <code>"`);
      }
      if (/^\$ /m.test(fence.text))
        problems.push(
          `line ${fence.line}: a "$ " prompt inside a shell block; put the commands in the block and the output in an unlabelled block right after it`,
        );
      shell.push(example);
      continue;
    }
    if (fence.lang === "" && !fence.afterProse && previous && SHELL.has(previous.lang)) {
      const owner = shell[shell.length - 1];
      if (owner) owner.output = { line: fence.line, text: fence.text };
      continue;
    }
    if (
      (fence.lang === "yaml" || fence.lang === "yml") &&
      /^name:/m.test(fence.text) &&
      /^dataset:/m.test(fence.text)
    )
      contracts.push({ line: fence.line, text: fence.text });
    if (fence.lang === "" && COMMAND_LIKE.test(fence.text.split("\n")[0] ?? ""))
      problems.push(`line ${fence.line}: an unlabelled block of commands; label it \`\`\`sh`);
  }
  return { shell, contracts, problems };
};

/**
 * Whether `actual` is what `expected` shows: line by line, exact, where a line `…` stands for any
 * number of lines (none included). Trailing whitespace is ignored.
 */
export const outputMatches = (expected: string, actual: string): boolean => {
  const want = expected
    .replace(/\s+$/, "")
    .split("\n")
    .map((l) => l.trimEnd());
  const got = actual
    .replace(/\s+$/, "")
    .split("\n")
    .map((l) => l.trimEnd());
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i}:${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === want.length) result = j === got.length;
    else if (want[i] === "…") {
      result = false;
      for (let k = j; k <= got.length && !result; k++) result = match(i + 1, k);
    } else result = j < got.length && want[i] === got[j] && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
};
