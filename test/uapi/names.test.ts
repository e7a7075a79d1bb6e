// One name per enum value, from the generated tables (src/uapi/names.gen.ts): every value
// names itself back, aliases get the newest name that is not _deprecated, and no module of src/
// builds its own reverse table again.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AttachType, Cmd, Helper, LinkType, MapType, ProgType } from "../../mod.ts";
import { attachTypeName, cmdName, helperName, linkTypeName, mapTypeName, progTypeName } from "../../src/uapi/names.gen.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

const tables: [string, Record<string, number>, (n: number) => string, string][] = [
  ["Cmd", Cmd, cmdName, "cmd"], ["MapType", MapType, mapTypeName, "map_type"], ["ProgType", ProgType, progTypeName, "prog_type"],
  ["AttachType", AttachType, attachTypeName, "attach_type"], ["LinkType", LinkType, linkTypeName, "link_type"], ["Helper", Helper, helperName, "helper"],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("reverse name tables", () => {
  for (const [what, obj, name, unknown] of tables) {
    it(`${what}: every value's name is a key of that value; unknown values are ${unknown}_<n>`, () => {
      for (const v of Object.values(obj)) expect(obj[name(v)], `${what} ${v}`).toBe(v);
      expect(name(99999)).toBe(`${unknown}_99999`);
    });
  }

  it("aliases: the newest name that is not _deprecated", () => {
    expect(mapTypeName(MapType.cgroup_storage)).toBe("cgroup_storage");
    expect(mapTypeName(MapType.percpu_cgroup_storage)).toBe("percpu_cgroup_storage");
    expect(cmdName(Cmd.prog_test_run)).toBe("prog_run");
  });

  it("the public look-ups are the generated ones", async () => {
    const m = await import("../../mod.ts");
    expect(m.mapTypeName).toBe(mapTypeName);
    expect(m.progTypeName).toBe(progTypeName);
    expect(m.cmdName).toBe(cmdName);
  });

  it("no module of src/ builds a reverse table of an enum itself", () => {
    const enums = tables.map(([w]) => w).join("|");
    const pattern = new RegExp(`Object\\.(entries|keys)\\((${enums})\\)\\.find|for \\(const \\[\\w+, \\w+\\] of Object\\.entries\\((${enums})\\)\\)`);
    const offenders = sources(join(root, "src")).filter((f) => !f.endsWith(".gen.ts") && pattern.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => f.slice(root.length + 1))).toEqual([]);
  });
});
