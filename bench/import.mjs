// One process of the import-cost benchmark: imports the module named on the command line, or
// nothing when none is named (the empty script every import is measured against: same runtime,
// same file, so the difference is the import alone). Prints one JSON object: the ms the import
// took as seen from inside, which leaves out the process's own start-up and exit.
//   <runtime> bench/import.mjs [specifier]
const g = globalThis;
const spec = (g.Deno ? g.Deno.args : g.process.argv.slice(2))[0];
const t0 = performance.now();
if (spec) await import(spec);
console.log(JSON.stringify({ inside: performance.now() - t0 }));
