// The seed's kernel tests (Zig std.os.linux.bpf: "map_create", "map lookup, update, and delete",
// "prog_load"), one for one, against the real bpf().
import { expect } from "vitest";
import {
  close, Insn, mapCreate, mapDeleteElem, mapGetNextKey, mapLookupElem, MapType, mapUpdateElem, progLoad, ProgType,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";

describePriv("seed", () => {
  itPriv("map_create", () => {
    const map = mapCreate(MapType.hash, 4, 4, 32);
    try {
      expect(map).toBeGreaterThan(2);
    } finally {
      close(map);
    }
  });

  itPriv("map lookup, update, and delete", () => {
    const keySize = 4;
    const valueSize = 4;
    const map = mapCreate(MapType.hash, keySize, valueSize, 1);
    try {
      const key = new Uint8Array(keySize);
      const value = new Uint8Array(valueSize);

      // fails looking up value that doesn't exist
      expect(bpfError(() => mapLookupElem(map, key, value)).kind).toBe("NotFound");

      // succeed at updating and looking up element
      mapUpdateElem(map, key, value, 0);
      mapLookupElem(map, key, value);

      // fails inserting more than max entries
      const secondKey = new Uint8Array([0, 0, 0, 1]);
      expect(bpfError(() => mapUpdateElem(map, secondKey, value, 0)).kind).toBe("ReachedMaxEntries");

      // succeed at iterating all keys of map
      let lookupKey = new Uint8Array([1, 0, 0, 0]);
      const nextKey = new Uint8Array([2, 3, 4, 5]); // garbage value
      expect(mapGetNextKey(map, lookupKey, nextKey)).toBe(true);
      expect(nextKey).toEqual(key);
      lookupKey = nextKey.slice();
      expect(mapGetNextKey(map, lookupKey, nextKey)).toBe(false);

      // succeed at deleting an existing elem
      mapDeleteElem(map, key);
      expect(bpfError(() => mapLookupElem(map, key, value)).kind).toBe("NotFound");

      // fail at deleting a non-existing elem
      expect(bpfError(() => mapDeleteElem(map, key)).kind).toBe("NotFound");
    } finally {
      close(map);
    }
  });

  itPriv("prog_load", () => {
    // this should fail because it does not set r0 before exiting
    const badProg = [Insn.exit()];
    const goodProg = [Insn.mov("r0", 0), Insn.exit()];

    const prog = progLoad(ProgType.socket_filter, goodProg, { license: "MIT" });
    try {
      expect(prog).toBeGreaterThan(2);
      expect(bpfError(() => progLoad(ProgType.socket_filter, badProg, { license: "MIT" })).kind).toBe("UnsafeProgram");
    } finally {
      close(prog);
    }
  });
});
