/**
 * The running kernel's build config, where it can be found: /proc/config.gz, the distribution's
 * /boot or /lib/modules copy, or the VM matrix's unpacked kernel packages (.cache/vm/kernels).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function candidates(): string[] {
  const rel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const out = [`/boot/config-${rel}`, `/lib/modules/${rel}/config`, `/usr/lib/modules/${rel}/config`];
  const vm = process.env.TSBPF_VM_CACHE ?? join(root, ".cache", "vm");
  const kernels = join(vm, "kernels");
  if (existsSync(kernels)) {
    for (const k of readdirSync(kernels)) {
      out.push(join(kernels, k, "root", "boot", `config-${rel}`), join(kernels, k, "root", "usr", "lib", "modules", rel, "config"));
    }
  }
  return out;
}

let cached: Map<string, string> | null | undefined;

/** CONFIG_* options and values ("y", "m", ...), or null when no config of this kernel is found. */
export function kernelConfig(): Map<string, string> | null {
  if (cached !== undefined) return cached;
  let text: string | undefined;
  if (existsSync("/proc/config.gz")) text = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
  else for (const f of candidates()) if (existsSync(f)) { text = readFileSync(f, "utf8"); break; }
  if (text === undefined) return (cached = null);
  cached = new Map();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) cached.set(m[1], m[2]);
  }
  return cached;
}

/** "on", "off" or "unknown" for a config option of the running kernel. */
export function configState(option: string): "on" | "off" | "unknown" {
  const c = kernelConfig();
  if (c === null) return "unknown";
  const v = c.get(option);
  return v === "y" || v === "m" ? "on" : "off";
}
