/**
 * VerifierError: a BPF_PROG_LOAD failure with the verifier's log. The message is short enough for
 * a terminal - the verifier's complaint, the failing instruction (disassembled in the verifier's
 * own syntax, with the two before it) and the last lines of the log - and the whole log is one
 * property or one `toString({ full: true })` away.
 * @module
 */
import { disassemble } from "../asm/disasm.ts";
import { BpfError } from "../errors.ts";

/** Lines of the log the short message shows. */
const TAIL_LINES = 10;

// Statistics the verifier prints after every load; they never explain a failure.
const STATS = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|mark_read)/;
// "12: (85) call bpf_map_lookup_elem#1": an instruction as the verifier visits it.
const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;
// Complaints of the CFG check, before any instruction is visited: "unreachable insn 2",
// "jump out of range from insn 0 to 6", "back-edge from insn 2 to 1".
const INSN_REF = /\binsn (\d+)\b/;

/** Where a log says the program failed: the index of the last instruction it visited or names. */
export function failingInsn(lines: readonly string[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = INSN_LINE.exec(lines[i]);
    if (m) return Number(m[1]);
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (STATS.test(lines[i])) continue;
    const m = INSN_REF.exec(lines[i]);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function meaningful(lines: readonly string[]): string[] {
  return lines.filter((l) => l.trim() !== "" && !STATS.test(l));
}

/** The last meaningful line that is not an instruction or register state: the verifier's reason. */
function reasonOf(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (INSN_LINE.test(l) || /^\d+: R\d/.test(l) || /^\d+: \(/.test(l)) continue;
    return l.trim();
  }
  return undefined;
}

/** The failing instruction and the two before it, in the verifier's syntax, the failing one marked. */
function listing(code: Uint8Array | undefined, insn: number | undefined): string[] {
  if (code === undefined || insn === undefined || insn * 8 >= code.length) return [];
  let text: string[];
  try {
    text = disassemble(code, { syntax: "verifier" });
  } catch {
    // Not decodable (the kernel may know opcodes we do not): show the raw bytes.
    const b = code.subarray(insn * 8, insn * 8 + 8);
    return [`  > ${insn}: ${[...b].map((x) => x.toString(16).padStart(2, "0")).join(" ")}`];
  }
  const at = text.findIndex((l) => l.startsWith(`${insn}: `));
  if (at < 0) return [];
  const out: string[] = [];
  for (let i = Math.max(0, at - 2); i <= at; i++) out.push(`${i === at ? "  > " : "    "}${text[i]}`);
  return out;
}

/** What VerifierError needs besides errno and log. */
export interface VerifierErrorDetail {
  /** The instructions as loaded, to print the failing one. */
  code?: Uint8Array;
  /** The log was cut short (the buffer reached its cap). */
  truncated?: boolean;
  /** Program name or type and size, for the first line. */
  context?: string;
}

/** The verifier (or the loader before it) rejected a program; carries the log and the failing instruction. */
export class VerifierError extends BpfError {
  /** The whole log text. */
  declare readonly log: string;
  /** The log, line by line. */
  readonly lines: readonly string[];
  /** Index (in 8-byte slots) of the instruction the verifier failed on, when the log says. */
  readonly insn: number | undefined;
  /** True when the log was truncated because it outgrew the largest buffer allowed. */
  readonly truncated: boolean;
  /** The verifier's complaint: the last meaningful log line that is not an instruction. */
  readonly reason: string | undefined;
  readonly #short: string;

  /** A BPF_PROG_LOAD failure with `errno` and the verifier's `log`. */
  constructor(errno: number, log: string, detail: VerifierErrorDetail = {}) {
    super("prog_load", errno, { log, context: detail.context });
    this.name = "VerifierError";
    this.lines = log.replace(/\n+$/, "").split("\n");
    this.insn = failingInsn(this.lines);
    this.truncated = detail.truncated === true;
    this.reason = reasonOf(meaningful(this.lines));
    const head = this.message;
    const body: string[] = [];
    if (this.reason !== undefined) body.push(`  ${this.reason}`);
    const at = listing(detail.code, this.insn);
    if (at.length) body.push(`  at instruction ${this.insn}:`, ...at.map((l) => `  ${l}`));
    const shown = meaningful(this.lines).slice(-TAIL_LINES);
    const cut = this.truncated ? " (truncated: the log outgrew the largest buffer allowed; raise logSizeMax)" : "";
    body.push(`  verifier log, last ${shown.length} of ${this.lines.length} lines${cut} (err.fullMessage has all of it):`);
    for (const l of shown) body.push(`    | ${l}`);
    this.#short = [head, ...body].join("\n");
    this.message = this.#short;
  }

  /** The first line and the whole log, for when the short message is not enough. */
  get fullMessage(): string {
    return `${this.#short.split("\n")[0]}\n${this.lines.map((l) => `    | ${l}`).join("\n")}`;
  }

  /** "VerifierError: " and the short message, or with `{ full: true }` the whole log. */
  override toString(opts: { full?: boolean } = {}): string {
    return `${this.name}: ${opts.full ? this.fullMessage : this.message}`;
  }
}
