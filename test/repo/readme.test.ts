// The README's code is real: each block marked <!-- example: NAME --> is examples/NAME.ts (which
// test/repo/examples.test.ts runs), with the package name in place of the relative import.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/<!-- example: (\w[\w-]*) -->\n```ts\n([\s\S]*?)```/g)];

it("the README shows runnable examples", () => {
  expect(blocks.map((b) => b[1])).toEqual(expect.arrayContaining(["tour", "asm"]));
});

for (const [, name, code] of blocks) {
  it(`README block "${name}" is examples/${name}.ts`, () => {
    const file = readFileSync(join(root, "examples", `${name}.ts`), "utf8")
      .replace(/^\/\/ .*\n/, "") // the file's first line says where it is shown
      .replaceAll('from "../mod.ts"', 'from "tsbpf"');
    expect(code).toBe(file);
  });
}
