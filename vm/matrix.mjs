// The VM matrix's pure logic: command-line options, the kernel list, what the guests run, the
// order of the VMs, their result cells and the table printed at the end. No I/O here (vm/run.mjs
// does it), so test/vm/ can check all of it.

/** The runtimes a cell can test, in the order of the tables' columns. @type {string[]} */
export const RUNTIMES = ["node", "bun", "deno"];

/**
 * @typedef {object} Kernel A line of vm/kernels.list.
 * @property {string} name what --kernels and the tables call it
 * @property {string} suite the Debian suite whose linux-image-amd64 it is
 * @property {string} url the suite's archive
 * @property {string[]} runtimes what its VMs test unless --runtimes says otherwise
 */

const USAGE = `usage: node vm/run.mjs [options] [--] [vitest args...]
  --kernels a,b     kernels to boot, by name from vm/kernels.list (default: all)
  --runtimes a,b    runtimes to test on every kernel: node,bun,deno (default: each kernel's own
                    list, the 4th column of vm/kernels.list: node everywhere, bun on the
                    oldest kernel, deno on the newest)
  --jobs N          VMs at a time (default 2); each VM runs one kernel x runtime cell
  --timeout S       seconds before a VM is killed (default 2100: the longest cell, sid under node, takes ~850 s on a quiet machine, twice that on a loaded one)
  --memory M        guest memory in MiB (default 2048)
  --all             run every test file, not only the privileged ones (see below)
  --refresh         re-resolve kernels from the mirror even when cached (sid moves)
  --verbose         stream the guests' consoles, prefixed with the kernel name
Arguments it does not know (and everything after --) go to vitest in every VM. By default the VMs
run the privileged test files: those that call itPriv/describePriv (test/helpers/env.ts); the
others do not depend on the kernel and run on the host. File filters (arguments not starting
with -) replace that selection; give vitest options a value with "=", e.g. -t=name.`;

/**
 * Parses run.mjs's arguments. Throws an Error with the usage text on a bad option. runtimes is
 * null unless --runtimes was given: then each kernel runs its own list (see runtimesOf).
 * @param {string[]} argv
 * @returns {{ kernels: string[] | null, runtimes: string[] | null, jobs: number, timeout: number, memory: number, refresh: boolean, verbose: boolean, all: boolean, help: boolean, vitestArgs: string[] }}
 */
export function parseArgs(argv) {
  const o = { kernels: null, runtimes: null, jobs: 2, timeout: 2100, memory: 2048, refresh: false, verbose: false, all: false, help: false, vitestArgs: [] };
  const value = (i, name) => {
    if (i + 1 >= argv.length) throw new Error(`${name} needs a value\n${USAGE}`);
    return argv[i + 1];
  };
  const positive = (s, name) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${s}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--kernels": o.kernels = list(value(i++, a)); break;
      case "--runtimes": o.runtimes = list(value(i++, a)); break;
      case "--jobs": o.jobs = positive(value(i++, a), a); break;
      case "--timeout": o.timeout = positive(value(i++, a), a); break;
      case "--memory": o.memory = positive(value(i++, a), a); break;
      case "--all": o.all = true; break;
      case "--refresh": o.refresh = true; break;
      case "--verbose": o.verbose = true; break;
      case "-h": case "--help": o.help = true; break;
      case "--": o.vitestArgs.push(...argv.slice(i + 1)); i = argv.length; break;
      default: o.vitestArgs.push(a);
    }
  }
  if (o.runtimes !== null) checkRuntimes(o.runtimes, "--runtimes");
  return o;
}

/** run.mjs's usage text, for --help. @type {string} */
export const usage = USAGE;

// A comma list, without empty items and repeats (a repeated runtime would be two VMs writing one
// run dir).
function list(s) {
  return [...new Set(s.split(",").map((x) => x.trim()).filter(Boolean))];
}

function checkRuntimes(list, where) {
  if (!list.length) throw new Error(`${where}: no runtime given: choose from ${RUNTIMES.join(",")}`);
  const bad = list.filter((r) => !RUNTIMES.includes(r));
  if (bad.length) throw new Error(`${where}: unknown runtime "${bad.join(",")}": choose from ${RUNTIMES.join(",")}`);
}

/**
 * Parses vm/kernels.list: "name suite archive-url [runtimes]" lines, # comments. runtimes is the
 * comma list of runtimes the kernel runs by default (node when absent); an unknown one throws,
 * naming the line.
 * @param {string} text
 * @returns {Kernel[]}
 */
export function parseKernelList(text) {
  const out = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const where = `vm/kernels.list line ${i + 1} ("${line}")`;
    const [name, suite, url, rts, extra] = line.split(/\s+/);
    if (!url || extra) throw new Error(`${where}: expected "name suite archive-url [runtimes]"`);
    const runtimes = rts ? list(rts) : ["node"];
    checkRuntimes(runtimes, where);
    out.push({ name, suite, url, runtimes });
  });
  return out;
}

/**
 * The runtimes a kernel's VMs test: those given with --runtimes (every kernel the same), else
 * the kernel's own list from vm/kernels.list.
 * @param {{ runtimes?: string[] }} kernel
 * @param {string[] | null | undefined} given
 * @returns {string[]}
 */
export function runtimesOf(kernel, given) {
  return given ?? kernel.runtimes ?? ["node"];
}

/**
 * The columns of the tables: every runtime some kernel runs, in RUNTIMES order.
 * @param {{ runtimes?: string[] }[]} kernels
 * @param {string[] | null | undefined} given
 * @returns {string[]}
 */
export function columns(kernels, given) {
  const used = new Set(kernels.flatMap((k) => runtimesOf(k, given)));
  return RUNTIMES.filter((r) => used.has(r));
}

/**
 * The kernels to run: all, or those named (by name or suite), in the list's order.
 * @param {Kernel[]} all
 * @param {string[] | null} wanted
 * @returns {Kernel[]}
 */
export function selectKernels(all, wanted) {
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !all.some((k) => k.name === w || k.suite === w));
  if (unknown.length) throw new Error(`unknown kernel "${unknown.join(",")}": choose from ${all.map((k) => k.name).join(",")}`);
  return all.filter((k) => wanted.includes(k.name) || wanted.includes(k.suite));
}

/**
 * True for a test file with privileged tests: one that calls itPriv or describePriv.
 * @param {string} source
 * @returns {boolean}
 */
export function isPrivileged(source) {
  return /\b(itPriv|describePriv)\s*\(/.test(source);
}

/**
 * The vitest arguments for the VMs: the user's, plus the privileged files as filters unless the
 * user gave file filters or asked for --all. `files` are { path, source } relative to the project.
 * @param {{ all: boolean, vitestArgs: string[] }} opts
 * @param {{ path: string, source: string }[]} files
 * @returns {string[]}
 */
export function guestVitestArgs(opts, files) {
  const userFilters = opts.vitestArgs.some((a) => !a.startsWith("-"));
  if (opts.all || userFilters) return [...opts.vitestArgs];
  const priv = files.filter((f) => isPrivileged(f.source)).map((f) => f.path).sort();
  if (!priv.length) throw new Error("no test file calls itPriv/describePriv: nothing for the VMs to run (use --all)");
  return [...opts.vitestArgs, ...priv];
}

/**
 * Quotes a word for a POSIX shell.
 * @param {string} s
 * @returns {string}
 */
export function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * The args.sh a guest sources: sets the arguments of scripts/test-all.mjs.
 * @param {string[]} runtimes
 * @param {string[]} vitestArgs
 * @returns {string}
 */
export function argsScript(runtimes, vitestArgs) {
  return `set -- ${["--runtimes", runtimes.join(","), ...vitestArgs].map(shellQuote).join(" ")}\n`;
}

/**
 * @typedef {object} Cell One kernel x one runtime: one VM that ran.
 * @property {string} runtime the runtime it tested
 * @property {boolean} ok it reported and no test failed
 * @property {boolean} reported the guest wrote a summary for the runtime
 * @property {number} passed tests that passed
 * @property {number} failed tests that failed
 * @property {number} skipped tests that skipped
 * @property {number} [seconds] the VM's wall time
 * @property {number} [attempts] boots it took (a guest that dies without a status boots again)
 */

/**
 * @typedef {object} Row A kernel's line in the tables.
 * @property {string} name the kernel's name in vm/kernels.list
 * @property {string} suite its Debian suite
 * @property {string | null} [release] its `uname -r`, when known
 * @property {Cell[]} cells the cells that ran; a runtime the kernel does not run has none, shows
 *   as "-" and counts nowhere
 */

/**
 * A cell (one kernel x one runtime, one VM) from the runner's summary (TSBPF_SUMMARY JSON, or
 * null when the guest wrote none). It passes when its runtime reported and no test failed.
 * @param {Record<string, { passed: number, failed: number, skipped: number }> | null} summary
 * @param {string} runtime
 * @returns {Cell}
 */
export function cell(summary, runtime) {
  const s = summary?.[runtime];
  if (!s) return { runtime, ok: false, reported: false, passed: 0, failed: 0, skipped: 0 };
  return { runtime, ok: s.failed === 0, reported: true, passed: s.passed, failed: s.failed, skipped: s.skipped };
}

/**
 * The cells to boot, one per kernel and runtime it runs (runtimesOf), longest first (by the
 * previous run's times if it timed every cell, else by a guess: node before deno before bun, and
 * among node cells the newest kernel's, which also runs the runtime and kernel scenarios and the
 * examples, then the oldest's, which runs the examples too), so that two lanes finish close together.
 * @param {{ name: string, runtimes?: string[] }[]} kernels
 * @param {string[] | null | undefined} runtimes --runtimes, or null for each kernel's own list
 * @param {Record<string, number>} [previous] "kernel/runtime" -> seconds
 * @returns {{ kernel: { name: string, runtimes?: string[] }, runtime: string }[]}
 */
export function schedule(kernels, runtimes, previous = {}) {
  const guess = { node: 30, deno: 20, bun: 10 };
  const last = kernels.length - 1;
  // What the oldest and the newest kernel's node cells run besides the privileged files (see test/helpers/env.ts).
  const extra = (j) => (j.runtime !== "node" || last === 0 ? 0 : j.kernel === kernels[last] ? 2 : j.kernel === kernels[0] ? 1 : 0);
  const jobs = kernels.flatMap((k) => runtimesOf(k, runtimes).map((runtime) => ({ kernel: k, runtime })));
  const known = jobs.every((j) => previous[`${j.kernel.name}/${j.runtime}`] != null);
  const cost = (j) => (known ? previous[`${j.kernel.name}/${j.runtime}`] : (guess[j.runtime] ?? 0) + extra(j));
  return jobs.map((j, i) => ({ j, i })).sort((a, b) => cost(b.j) - cost(a.j) || a.i - b.i).map((x) => x.j);
}

// A cell of the text table; undefined is a runtime that kernel did not run.
function cellText(c) {
  if (c === undefined) return "-";
  const time = c.seconds == null ? "" : ` ${Math.round(c.seconds)}s`;
  const boots = c.attempts > 1 ? ` (${c.attempts} boots)` : "";
  if (!c.reported) return `FAIL no report${time}${boots}`;
  return `${c.ok ? "ok" : "FAIL"} ${c.passed}/${c.failed}/${c.skipped}${time}${boots}`;
}

/**
 * The table printed after the matrix: a row per kernel, a column per runtime (`runtimes`: see
 * columns). A cell reads "ok passed/failed/skipped <VM wall time>", "FAIL ...", "FAIL no report",
 * or "-" where that kernel did not run that runtime.
 * @param {Row[]} rows
 * @param {string[]} runtimes
 * @returns {string}
 */
export function formatTable(rows, runtimes) {
  const head = ["kernel", ...runtimes];
  const body = rows.map((r) => [`${r.name} (${r.release ?? "?"})`, ...runtimes.map((rt) => cellText(r.cells.find((c) => c.runtime === rt)))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols) => cols.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const notRun = body.some((b) => b.includes("-")) ? "; -: not run on that kernel (vm/kernels.list, --runtimes)" : "";
  return [line(head), ...body.map(line), `cell: passed/failed/skipped tests, then the VM's wall time${notRun}`].join("\n");
}

/**
 * The same table as Markdown, for the README; "-" where a kernel did not run a runtime.
 * @param {Row[]} rows
 * @param {string[]} runtimes
 * @returns {string}
 */
export function markdownTable(rows, runtimes) {
  const out = [`| kernel | suite | ${runtimes.join(" | ")} |`, `|---|---|${runtimes.map(() => "---|").join("")}`];
  for (const r of rows) {
    const cs = runtimes.map((rt) => {
      const c = r.cells.find((x) => x.runtime === rt);
      if (c === undefined) return "-";
      const time = c.seconds == null ? "" : `, ${Math.round(c.seconds)} s`;
      return c.reported ? `${c.ok ? "pass" : "**FAIL**"} ${c.passed}/${c.failed}/${c.skipped}${time}` : `**FAIL** no report${time}`;
    });
    out.push(`| ${r.release ?? r.name} | ${r.suite} | ${cs.join(" | ")} |`);
  }
  return out.join("\n");
}

/**
 * The last line of the run: cells (kernel x runtime) that passed and failed; runtimes a kernel
 * did not run have no cell and count neither way.
 * @param {Row[]} rows
 * @returns {string}
 */
export function matrixLine(rows) {
  const all = rows.flatMap((r) => r.cells);
  const passed = all.filter((c) => c.ok).length;
  return `matrix: ${passed} passed, ${all.length - passed} failed`;
}

/**
 * The tests of every cell summed, as the host runner prints them; a cell without a report counts
 * as one failed test, so that the sum cannot pass when a VM never ran (a runtime the kernel does
 * not run has no cell, so it adds nothing).
 * @param {Row[]} rows
 * @returns {string}
 */
export function testsLine(rows) {
  const t = { p: 0, f: 0, s: 0 };
  for (const c of rows.flatMap((r) => r.cells)) {
    if (!c.reported) t.f++;
    else (t.p += c.passed), (t.f += c.failed), (t.s += c.skipped);
  }
  return `matrix tests: ${t.p} passed, ${t.f} failed` + (t.s ? `, ${t.s} skipped` : "");
}

/**
 * The last `n` lines of a console log, without terminal escapes and carriage returns.
 * @param {string} text
 * @param {number} n
 * @returns {string}
 */
export function consoleTail(text, n) {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1bc/g, "").replace(/\r/g, "");
  const lines = clean.split("\n");
  while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
  return lines.slice(-n).join("\n");
}

/**
 * Runs `worker(item)` over `items`, at most `limit` at a time, and resolves to the results in order.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} worker
 * @returns {Promise<R[]>}
 */
export async function pool(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
