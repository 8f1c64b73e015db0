export type SqitchChange = {
  name: string;
  /** The deploy script, relative to the plan's top directory. */
  deployScript: string;
  /** 1-based line in `sqitch.plan`. */
  line: number;
};

/**
 * The changes of a `sqitch.plan` in deploy order, each with its deploy script. A reworked change
 * appears several times; every occurrence but the last deploys the copy sqitch froze under the
 * first tag that follows it (`deploy/<name>@<tag>.sql`), the last one `deploy/<name>.sql`.
 * Lines that revert (`-name`) are skipped: replay only moves forward.
 */
export const parseSqitchPlan = (text: string): SqitchChange[] => {
  type Entry = { name: string; line: number; tagAfter?: string };
  const entries: Entry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("%")) return;
    if (line.startsWith("@")) {
      const tag = line.slice(1).split(/\s/)[0] ?? "";
      for (const entry of entries) entry.tagAfter ??= tag;
      return;
    }
    const match = /^([+-])?\s*([^\s[@:#]+)/.exec(line);
    if (!match || match[1] === "-") return;
    entries.push({ name: match[2]!, line: index + 1 });
  });
  return entries.map((entry, index) => {
    const reworkedLater = entries.slice(index + 1).some((other) => other.name === entry.name);
    const script = reworkedLater && entry.tagAfter ? `${entry.name}@${entry.tagAfter}` : entry.name;
    return { name: entry.name, deployScript: `deploy/${script}.sql`, line: entry.line };
  });
};

/** `engine` from the `[core]` section of `sqitch.conf` (`pg`, `mysql`, `sqlite`…), if set. */
export const parseSqitchEngine = (text: string): string | undefined => {
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[\s*([^\]\s]+)[^\]]*\]$/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    const setting = /^engine\s*=\s*"?([\w-]+)"?/.exec(line);
    if (section === "core" && setting) return setting[1]!.toLowerCase();
  }
  return undefined;
};
