// What the bench runners share: options, the runtimes' command lines, interleaved rounds, medians.
import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** A numeric option `--name N` from the command line, or `dflt`. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** A binary npm installed (bun, deno, rolldown, ...). */
export const bin = (x) => join(root, "node_modules", ".bin", x);

/** Builds dist/ as `npm run build` does: Node benchmarks run what npm users import. */
export function buildDist() {
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root });
}

/** [command, args, env] running `script` on each runtime: Node on dist/, Bun and Deno on the sources. */
export function runtimeCommands(script, args) {
  return {
    node: [process.execPath, [script, ...args], { TSBPF_ENTRY: "../dist/mod.js" }],
    bun: [bin("bun"), [script, ...args]],
    deno: [bin("deno"), ["run", "-A", script, ...args]],
  };
}

/**
 * Runs every command once per round, interleaved (a, b, c, a, b, ...) so that drift hits all
 * alike; each prints a JSON object as its last line. Returns name -> the rounds' objects.
 */
export function interleave(runs, rounds) {
  const results = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, [cmd, args, env]] of Object.entries(runs)) {
      const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
      if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr || p.stdout}`);
      results[name].push(JSON.parse(p.stdout.trim().split("\n").pop()));
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  return results;
}

/** The median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** This machine's kernel release. */
export const kernel = () => execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
