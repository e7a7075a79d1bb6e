// The package's entry points: subpath -> source file. scripts/build.mjs bundles each one to
// dist/<name>.js and test/package.test.ts checks package.json's "exports" against this list, so a
// new subpath export is one line here plus its "exports" entry.
export const entries = [
  { subpath: ".", name: "mod", source: "mod.ts" },
  // Pure parts, for tools that never touch the kernel: no FFI backend is loaded.
  { subpath: "./asm", name: "asm", source: "src/asm/mod.ts" },
  { subpath: "./codec", name: "codec", source: "src/codec/mod.ts" },
  { subpath: "./uapi", name: "uapi", source: "src/uapi/mod.ts" },
  { subpath: "./btf", name: "btf", source: "src/btf/mod.ts" },
  // Attaching programs: an entry of its own that picks the runtime as mod.ts does.
  { subpath: "./link", name: "link", source: "link.ts" },
];

/** Where the bundle for `e` lands, relative to the package root. */
export const bundlePath = (e) => `dist/${e.name}.js`;

/** Where tsc puts the declarations for `e`: its source's path under dist/, as tsconfig.build.json's rootDir has it. */
export const typesPath = (e) => `dist/${e.source.replace(/\.ts$/, ".d.ts")}`;
