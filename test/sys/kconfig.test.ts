// The kernel's build config as `.kconfig` externs need it: parsed as libbpf parses CONFIG_ lines,
// read from /boot/config-<release> or /proc/config.gz (plain or gzip) as libbpf looks for them,
// and compared on this host with what zcat (or the file itself) says.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { KconfigError, parseKernelConfig, readKernelConfig } from "../../mod.ts";
import { readFirstConfig } from "../../src/sys/kconfig.ts";
import { kernelRelease } from "../helpers/env.ts";

const SAMPLE = [
  "#",
  "# Automatically generated file; DO NOT EDIT.",
  "#",
  "CONFIG_CC_VERSION_TEXT=\"clang version 19.1.7\"",
  "CONFIG_BPF=y",
  "CONFIG_BPF_SYSCALL=y",
  "CONFIG_NET_SCH_INGRESS=m",
  "# CONFIG_BPF_PRELOAD is not set",
  "CONFIG_HZ=250",
  "CONFIG_PHYSICAL_ALIGN=0x200000",
  "CONFIG_DEFAULT_HOSTNAME=\"(none)\"",
  "CONFIG_EMPTY_STRING=\"\"",
  "",
  "# CONFIG_BROKEN is not set, said nobody",
  "CONFIG_BPF=n",
  "CONFIG_CRLF=y\r",
].join("\n");

describe("parseKernelConfig", () => {
  it("values as written: y, m, quoted strings, numbers; 'is not set' as n; comments and blank lines skipped", () => {
    const c = parseKernelConfig(SAMPLE);
    expect(c.get("CONFIG_BPF")).toBe("y"); // first value wins, as libbpf's is_set
    expect(c.get("CONFIG_NET_SCH_INGRESS")).toBe("m");
    expect(c.get("CONFIG_BPF_PRELOAD")).toBe("n");
    expect(c.get("CONFIG_HZ")).toBe("250");
    expect(c.get("CONFIG_PHYSICAL_ALIGN")).toBe("0x200000");
    expect(c.get("CONFIG_CC_VERSION_TEXT")).toBe("\"clang version 19.1.7\"");
    expect(c.get("CONFIG_DEFAULT_HOSTNAME")).toBe("\"(none)\"");
    expect(c.get("CONFIG_EMPTY_STRING")).toBe("\"\"");
    expect(c.get("CONFIG_CRLF")).toBe("y");
    expect(c.has("CONFIG_BROKEN")).toBe(false);
    expect([...c.keys()].every((k) => k.startsWith("CONFIG_"))).toBe(true);
    expect(c.size).toBe(10);
    expect(parseKernelConfig("").size).toBe(0);
    expect(parseKernelConfig("CONFIG_A=1").get("CONFIG_A")).toBe("1");
  });

  it("a CONFIG_ line without '=' or without a value is a KconfigError naming the line, as libbpf refuses it", () => {
    expect(() => parseKernelConfig("CONFIG_A=y\nCONFIG_B\n", "user kconfig")).toThrow(/kconfig: no "=" in "CONFIG_B" \(at user kconfig:2\)/);
    let err: unknown;
    try {
      parseKernelConfig("# x\n\nCONFIG_C=\n");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KconfigError);
    expect((err as KconfigError).line).toBe(3);
    expect((err as KconfigError).message).toBe("kconfig: no value in \"CONFIG_C=\" (at line 3)");
    expect(() => parseKernelConfig(3 as unknown as string)).toThrow(TypeError);
  });
});

describe("readKernelConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-kconfig-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a given file, plain or gzip (several members too), told apart by the magic", () => {
    const plain = join(dir, "config");
    writeFileSync(plain, SAMPLE);
    const want = parseKernelConfig(SAMPLE);
    expect(readKernelConfig({ path: plain })).toEqual(want);
    const gz = join(dir, "config.gz");
    const half = SAMPLE.indexOf("CONFIG_HZ");
    writeFileSync(gz, new Uint8Array([...zlib.gzipSync(SAMPLE.slice(0, half)), ...zlib.gzipSync(SAMPLE.slice(half), { level: 9 })]));
    expect(readKernelConfig({ path: gz })).toEqual(want);
  });

  it("a missing file, corrupt gzip or bad line is a KconfigError naming the file", () => {
    const missing = join(dir, "nope");
    expect(() => readKernelConfig({ path: missing })).toThrow(new RegExp(`cannot read the kernel's config: ${missing}: ENOENT; pass its text as the kconfig option of Collection.load`));
    const bad = join(dir, "bad.gz");
    const gz = zlib.gzipSync(SAMPLE);
    gz[gz.length - 6] ^= 0xff; // the CRC
    writeFileSync(bad, gz);
    let err: unknown;
    try {
      readKernelConfig({ path: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KconfigError);
    expect((err as KconfigError).message).toMatch(new RegExp(`corrupt gzip data: gzip: CRC-32 .* \\(at ${bad}\\)`));
    expect((err as Error).cause).toBeInstanceOf(Error);
    const line = join(dir, "line");
    writeFileSync(line, "CONFIG_A=y\nCONFIG_B\n");
    expect(() => readKernelConfig({ path: line })).toThrow(new RegExp(`no "=" in "CONFIG_B" \\(at ${line}:2\\)`));
    expect(() => readKernelConfig({ path: 5 as unknown as string })).toThrow(TypeError);
  });

  // libbpf's order: /boot/config-<release>, then /proc/config.gz.
  const boot = `/boot/config-${kernelRelease}`;
  const source = existsSync(boot) ? boot : existsSync("/proc/config.gz") ? "/proc/config.gz" : null;

  it("with no file, the error names each, why each failed, and the kconfig option", () => {
    const [a, b] = [join(dir, "none-boot"), join(dir, "none.gz")];
    expect(() => readFirstConfig([a, b], true)).toThrow(
      `kconfig: cannot read the kernel's config (a kernel built without CONFIG_IKCONFIG_PROC, and no config in /boot or its modules directory): ${a}: ENOENT, ${b}: ENOENT; pass its text as the kconfig option of Collection.load`,
    );
    if (source === null) expect(() => readKernelConfig()).toThrow(new RegExp(`${boot}: E\\w+, /proc/config.gz: E\\w+, /usr/lib/modules/[^:]+/config: E\\w+; pass its text`));
  });

  it("the first file that opens is the one read, as libbpf's fallback", () => {
    const a = join(dir, "first"), b = join(dir, "second");
    writeFileSync(b, "CONFIG_FROM=b\n");
    expect(readFirstConfig([a, b], true).get("CONFIG_FROM")).toBe("b");
    writeFileSync(a, zlib.gzipSync("CONFIG_FROM=a\n"));
    expect(readFirstConfig([a, b], true).get("CONFIG_FROM")).toBe("a");
  });

  if (source === null) console.warn(`skip: this host's config: neither ${boot} nor /proc/config.gz exists`);
  it.runIf(source !== null)(`this host's config (${source ?? `skipped: neither ${boot} nor /proc/config.gz exists`}) matches ${source === boot ? "the file" : "zcat /proc/config.gz"}`, () => {
    const t0 = performance.now();
    const c = readKernelConfig();
    console.log(`readKernelConfig: ${c.size} options from ${source} in ${(performance.now() - t0).toFixed(1)} ms`);
    const txt = source === boot ? readFileSync(boot, "utf8") : execFileSync("zcat", ["/proc/config.gz"], { encoding: "utf8" });
    expect(c.get("CONFIG_BPF")).toBe("y");
    // An independent reading of the same text: every CONFIG_X=v line, and every "is not set" one.
    const want = new Map<string, string>();
    for (const m of txt.matchAll(/^(CONFIG_\w+)=(.+)$/gm)) if (!want.has(m[1])) want.set(m[1], m[2]);
    for (const m of txt.matchAll(/^# (CONFIG_\w+) is not set$/gm)) if (!want.has(m[1])) want.set(m[1], "n");
    expect(c.size).toBe(want.size);
    for (const [k, v] of want) expect(c.get(k), k).toBe(v);
    for (const k of ["CONFIG_BPF_SYSCALL", "CONFIG_HZ", "CONFIG_LOCALVERSION", "CONFIG_DEBUG_INFO_BTF"]) {
      const line = txt.split("\n").find((l) => l.startsWith(`${k}=`) || l === `# ${k} is not set`);
      if (line === undefined) continue;
      expect(c.get(k)).toBe(line.startsWith("#") ? "n" : line.slice(k.length + 1));
    }
  });
});
