// How a uprobe or USDT target's bare name becomes a file: PATH for executables (empty entries are
// the current directory, directories of the same name are passed over), LD_LIBRARY_PATH then the
// system library directories for libraries, a path with a "/" untouched; the live environment
// where the runtime gives it, /proc/self/environ where it does not; a clear ENOENT naming where it looked.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { binaryPath, getBackend, setBackend, SyscallError } from "../../mod.ts";
import { thrown } from "../helpers/expect.ts";
import { setEnv } from "../helpers/process-env.ts";

const dir = mkdtempSync(join(tmpdir(), "tsbpf-binpath-"));
const a = join(dir, "a"), b = join(dir, "b");
mkdirSync(join(a, "tool"), { recursive: true }); // a directory named like the executable: not it
mkdirSync(b);
writeFileSync(join(b, "tool"), "#!/bin/sh\n", { mode: 0o755 });
writeFileSync(join(a, "libtsbpf.so.1"), "");
const saved = { PATH: process.env.PATH, LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH };

afterEach(() => {
  setEnv("PATH", saved.PATH);
  setEnv("LD_LIBRARY_PATH", saved.LD_LIBRARY_PATH);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a path with a slash is used as given, existing or not", () => {
  expect(binaryPath("/no/such/file")).toBe("/no/such/file");
  expect(binaryPath("./x")).toBe("./x");
});

it("an executable's bare name: the first PATH entry holding a file of that name", () => {
  process.env.PATH = `/nonexistent:${a}:${b}:/usr/bin`;
  expect(binaryPath("tool")).toBe(join(b, "tool"));
  process.env.PATH = `/usr/bin:/bin`;
  expect(realpathSync(binaryPath("sh"))).toBe(realpathSync("/bin/sh"));
});

it("an empty PATH entry is the current directory", () => {
  const cwd = process.cwd();
  process.chdir(b);
  try {
    process.env.PATH = `/nonexistent::/usr/bin`;
    expect(binaryPath("tool")).toBe("./tool");
  } finally {
    process.chdir(cwd);
  }
});

it("a library's name: LD_LIBRARY_PATH first, then the system library directories", () => {
  setEnv("LD_LIBRARY_PATH", undefined);
  const libc = binaryPath("libc.so.6");
  expect(libc.startsWith("/")).toBe(true);
  expect(realpathSync(libc)).toMatch(/libc[.-]/);
  process.env.LD_LIBRARY_PATH = `/nonexistent:${a}`;
  expect(binaryPath("libtsbpf.so.1")).toBe(join(a, "libtsbpf.so.1"));
  // A library is not looked for in PATH, nor an executable in LD_LIBRARY_PATH.
  process.env.PATH = a;
  setEnv("LD_LIBRARY_PATH", undefined);
  expect(thrown(() => binaryPath("libtsbpf.so.1"), SyscallError).message).toMatch(/libtsbpf\.so\.1: no such file in LD_LIBRARY_PATH and the system library directories \(\/usr\/lib64:\/usr\/lib/);
  process.env.LD_LIBRARY_PATH = b;
  process.env.PATH = "/nonexistent";
  const e = thrown(() => binaryPath("tool"), SyscallError);
  expect(e).toMatchObject({ errno: 2, code: "ENOENT", syscall: "open" });
  expect(e.message).toContain("tool: no such file in PATH (/nonexistent); give its path");
});

it("without the backend's env (or when it refuses), the environment the process started with answers", () => {
  const real = getBackend();
  const start = startPath();
  try {
    process.env.PATH = b; // live, but not what /proc/self/environ holds
    for (const env of [undefined, () => { throw new Error("not permitted"); }]) {
      setBackend({ ...real, env } as typeof real);
      expect(start).toBeDefined();
      expect(() => binaryPath("tool")).toThrow(/no such file in PATH/);
      expect(realpathSync(binaryPath("sh"))).toBe(realpathSync("/bin/sh"));
    }
  } finally {
    setBackend(real);
  }
});

/** PATH in /proc/self/environ, read with node:fs to check the library's own reading. */
function startPath(): string | undefined {
  const kv = readFileSync("/proc/self/environ", "latin1").split("\0").find((x) => x.startsWith("PATH="));
  return kv?.slice(5);
}
