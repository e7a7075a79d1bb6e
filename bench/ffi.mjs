// Loads bench/c/loops.c (compiled to a shared library by bench/run.mjs) with the running
// runtime's own FFI: Deno.dlopen, bun:ffi, or koffi under Node. Each function takes
// (fd, buffer, buffer, count) or (fd, buffer, count) and returns 0, or -1 when a call failed.
const g = globalThis;
const SIGS = { c_lookup: 3, c_update: 3, c_batch: 3, c_single1024: 2 };

/** { c_lookup, c_update, c_batch, c_single1024 } bound from the library at `path`. */
export async function loadLoops(path) {
  if (g.Deno) {
    const sym = (bufs) => ({ parameters: ["i32", ...Array(bufs).fill("buffer"), "i32"], result: "i32" });
    const lib = g.Deno.dlopen(path, Object.fromEntries(Object.entries(SIGS).map(([k, b]) => [k, sym(b - 1)])));
    return lib.symbols;
  }
  if (g.Bun) {
    const { dlopen } = await import("bun:ffi");
    const sym = (bufs) => ({ args: ["i32", ...Array(bufs).fill("ptr"), "i32"], returns: "i32" });
    const lib = dlopen(path, Object.fromEntries(Object.entries(SIGS).map(([k, b]) => [k, sym(b - 1)])));
    return lib.symbols;
  }
  const { createRequire } = await import("node:module");
  const koffi = createRequire(import.meta.url)("koffi");
  const lib = koffi.load(path);
  const sig = (name, bufs) => `int ${name}(int${", void *".repeat(bufs)}, int)`;
  return Object.fromEntries(Object.entries(SIGS).map(([k, b]) => [k, lib.func(sig(k, b - 1))]));
}

/**
 * The functions `sig` names ({ name: "i32" | "f64" }, each taking one int) bound from the shared
 * library at `path` with this runtime's FFI: the C readers of the event benchmarks.
 */
export async function loadIntFunctions(path, sig) {
  const each = (f) => Object.fromEntries(Object.entries(sig).map(([k, r]) => [k, f(k, r)]));
  if (g.Deno) return g.Deno.dlopen(path, each((_, r) => ({ parameters: ["i32"], result: r }))).symbols;
  if (g.Bun) {
    const { dlopen } = await import("bun:ffi");
    return dlopen(path, each((_, r) => ({ args: ["i32"], returns: r }))).symbols;
  }
  const { createRequire } = await import("node:module");
  const l = createRequire(import.meta.url)("koffi").load(path);
  return each((k, r) => l.func(`${r === "f64" ? "double" : "int"} ${k}(int)`));
}
