// Packaging: `npm run build` bundles each entry point for npm (plain Node imports it by package
// name, with no loader), with tsc's declarations and source maps beside it; `npm pack` ships that
// and nothing else; the JSR package passes `deno publish --dry-run` (no slow types). Run once per
// suite run, on the host.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-ignore: a plain-JS file of the build, without declarations
import { bundlePath, entries, typesPath } from "../../scripts/entries.mjs";
import { runtime } from "../helpers/env.ts";

interface Entry {
  subpath: string;
  name: string;
  source: string;
}

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const specifier = (e: Entry) => pkg.name + e.subpath.slice(1);
// The VM matrix sets this: packaging does not depend on the kernel, and the host run checks it.
const skip = process.env.TSBPF_SKIP_PACKAGE ? "packaging is checked by the host run, not in VMs" : runtime !== "node" ? "checked once, by the Node run" : null;
if (skip) console.warn(`skip: packaging: ${skip}`);

/** Every file under `dir`, relative to the package root. */
function walk(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(`${dir}/${d.name}`) : [`${dir}/${d.name}`]
  );
}

/** Runs ESM code from the package root in plain Node (or Bun, whose users may take the npm package too); what it prints, trimmed. */
const run = (code: string, rt: "node" | "bun" = "node") =>
  execFileSync(rt === "node" ? "node" : bin("bun"), [...(rt === "node" ? ["--input-type=module"] : []), "-e", code], { cwd: root, encoding: "utf8" }).trim();

describe.skipIf(skip !== null)(`packaging${skip ? ` [skipped: ${skip}]` : ""}`, () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root });
  }, 120_000);

  it("plain node imports the build by package name", () => {
    const out = run("const m = await import('tsbpf'); console.log(typeof m.mapCreate, typeof m.Insn.encode, m.MapType.lru_hash, m.Cmd.prog_load)");
    expect(out).toBe("function function 9 5");
  });

  it("the bundle still finds koffi at run time (it is required from the bundle's own location)", () => {
    expect(run("const m = await import('tsbpf'); console.log(m.getBackend().name)")).toBe("node");
  });

  it("package.json's exports are the build's entry points, each a bundle with declarations", () => {
    const want = Object.fromEntries((entries as Entry[]).map((e) => [e.subpath, { types: `./${typesPath(e)}`, default: `./${bundlePath(e)}` }]));
    expect(pkg.exports).toEqual(want);
    expect(`./${bundlePath(entries[0])}`).toBe(pkg.main);
    expect(`./${typesPath(entries[0])}`).toBe(pkg.types);
  });

  for (const e of entries as Entry[]) {
    for (const rt of ["node", "bun"] as const) {
      it(`${specifier(e)} on ${rt}: the bundle exposes the names ${e.source} exports, of the same kinds`, async () => {
        const kinds = (m: Record<string, unknown>) => Object.keys(m).sort().map((k) => `${k}: ${typeof m[k]}`);
        const built = JSON.parse(run(`const m = await import(${JSON.stringify(specifier(e))});
          console.log(JSON.stringify(Object.keys(m).sort().map((k) => k + ": " + typeof m[k])))`, rt));
        expect(built).toEqual(kinds(await import(join(root, e.source))));
      });
    }

    it(`${specifier(e)}: declarations and a source map carrying the sources`, () => {
      expect(existsSync(join(root, typesPath(e)))).toBe(true);
      const js = readFileSync(join(root, bundlePath(e)), "utf8");
      const mapFile = bundlePath(e) + ".map";
      expect(js).toContain(`//# sourceMappingURL=${mapFile.split("/").pop()}`);
      // An entry of re-exports has its code in shared chunks: its map and theirs together cover it.
      const chunks = [...js.matchAll(/from "\.\/(chunks\/[^"]+\.js)"/g)].map((m) => `dist/${m[1]}.map`);
      const maps = [mapFile, ...chunks].map((f) => JSON.parse(readFileSync(join(root, f), "utf8")));
      const sources = maps.flatMap((m) => m.sources as string[]);
      // The package has no src/: a map is only of use with the sources inside it.
      expect(sources.length).toBeGreaterThan(0);
      for (const [i, m] of maps.entries()) {
        const dir = i === 0 ? "dist" : "dist/chunks";
        expect(m.sources.filter((f: string) => !existsSync(join(root, dir, f)))).toEqual([]);
        expect(m.sourcesContent.filter((t: unknown) => typeof t !== "string" || t === "")).toEqual([]);
      }
    });
  }

  it("dist/ holds the bundles, their chunks and maps, and declarations: no stray per-file .js", () => {
    const files = walk("dist");
    const js = files.filter((f) => f.endsWith(".js"));
    const bundles = (entries as Entry[]).map(bundlePath);
    expect(js.filter((f) => !bundles.includes(f) && !f.startsWith("dist/chunks/"))).toEqual([]);
    for (const f of js) expect(files).toContain(`${f}.map`);
    expect(files.filter((f) => !/\.(js|js\.map|d\.ts)$/.test(f))).toEqual([]);
  });

  it("the published types check in a consumer importing the package by name", () => {
    const dir = join(root, ".cache", "package-test");
    mkdirSync(dir, { recursive: true });
    // A strict Node ESM consumer that checks the package's .d.ts files (no skipLibCheck). The types
    // name Symbol.dispose, so a consumer needs esnext.disposable (or @types/node, which declares it).
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022",
        lib: ["es2023", "esnext.disposable"], types: [], noEmit: true,
      },
      files: ["consumer.ts"],
    }));
    writeFileSync(join(dir, "consumer.ts"), [
      `import { type Backend, MapType, mapCreate } from "tsbpf";`,
      `export const t: number = MapType.hash;`,
      `export const fd = (): number => mapCreate(MapType.hash, 4, 4, 1);`,
      `export type B = Backend["name"];`,
    ].join("\n"));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", dir], { cwd: root, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("npm pack ships package.json, README, LICENSE and dist/ only, leaving no tarball", () => {
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const paths: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(paths.filter((p) => !/^(package\.json|README\.md|LICENSE|dist\/.*\.(js|js\.map|d\.ts))$/.test(p))).toEqual([]);
    for (const e of entries as Entry[]) expect(paths).toEqual(expect.arrayContaining([bundlePath(e), `${bundlePath(e)}.map`, typesPath(e)]));
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
    expect(readdirSync(root).filter((f) => f.endsWith(".tgz"))).toEqual([]);
  }, 120_000);

  it("deno publish --dry-run passes: no slow types", () => {
    const r = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: root, encoding: "utf8" });
    expect((r.stderr + r.stdout).replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/Success Dry run complete/);
    expect(r.status).toBe(0);
  }, 120_000);
});
