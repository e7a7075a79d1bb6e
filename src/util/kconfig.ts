/**
 * The kernel's build configuration as text (/boot/config-*, /proc/config.gz, or a string the user
 * gives): the CONFIG_* values `.kconfig` externs take, parsed line by line as libbpf's
 * bpf_object__process_kconfig_line does.
 * @module
 */

/** Where in a kernel config a problem lies. */
export interface KconfigErrorWhere {
  /** The file read, or what the text came from. */
  source?: string;
  /** 1-based line number. */
  line?: number;
  /** The underlying error (a failed read, corrupt gzip data). */
  cause?: unknown;
}

/** A kernel config that cannot be found, read or parsed (CONFIG_* lines, as libbpf reads them). */
export class KconfigError extends Error {
  /** The file or source involved, when there is one. */
  readonly source?: string;
  /** 1-based line number of a malformed line. */
  readonly line?: number;

  /** An error saying `what`, with the source and line it concerns. */
  constructor(what: string, where: KconfigErrorWhere = {}) {
    const at = where.source !== undefined ? ` (at ${where.source}${where.line !== undefined ? `:${where.line}` : ""})` : where.line !== undefined ? ` (at line ${where.line})` : "";
    super(`kconfig: ${what}${at}`, where.cause !== undefined ? { cause: where.cause } : undefined);
    this.name = "KconfigError";
    if (where.source !== undefined) this.source = where.source;
    if (where.line !== undefined) this.line = where.line;
  }
}

const NOT_SET = /^# (CONFIG_\w+) is not set$/;

/**
 * CONFIG_* names and their values as written: "y", "m", "n", a quoted string with its quotes
 * ("\"x\"": libbpf tells strings from numbers by them), or a number ("123", "0x1f").
 * `# CONFIG_X is not set` gives "n" (libbpf skips such lines, leaving a strong extern
 * unresolved). As libbpf, a CONFIG_ line without "=" or value is an error, and the first
 * value of a name wins; other lines are ignored. `source` names the text in errors.
 */
export function parseKernelConfig(text: string, source?: string): Map<string, string> {
  if (typeof text !== "string") throw new TypeError(`kernel config must be a string, not ${typeof text}`);
  const out = new Map<string, string>();
  let lineNo = 0;
  for (let p = 0; p < text.length;) {
    let nl = text.indexOf("\n", p);
    if (nl < 0) nl = text.length;
    lineNo++;
    const line = text.charCodeAt(nl - 1) === 13 ? text.slice(p, nl - 1) : text.slice(p, nl);
    p = nl + 1;
    if (line.startsWith("CONFIG_")) {
      const eq = line.indexOf("=");
      if (eq < 0) throw new KconfigError(`no "=" in ${JSON.stringify(line)}`, { source, line: lineNo });
      if (eq === line.length - 1) throw new KconfigError(`no value in ${JSON.stringify(line)}`, { source, line: lineNo });
      const name = line.slice(0, eq);
      if (!out.has(name)) out.set(name, line.slice(eq + 1));
    } else if (line.startsWith("# CONFIG_")) {
      const m = NOT_SET.exec(line);
      if (m && !out.has(m[1])) out.set(m[1], "n");
    }
  }
  return out;
}
