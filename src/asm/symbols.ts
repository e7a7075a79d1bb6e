/**
 * The symbols of `.set`, `.equ` and `.equiv`: names for values computed where they are defined,
 * as llvm-mc folds them there. `.set` and `.equ` may redefine a name (later uses see the new
 * value), `.equiv` may not; a symbol that stands for a label cannot be redefined once used,
 * because llvm-mc resolves such uses only at the end, with whatever value the symbol has then.
 * @module
 */
import type { Place } from "./labels.ts";

/** A value: a 64-bit constant, or a place in the program plus `cst` bytes. */
export interface Value {
  /** The constant, or the byte offset from `place`. */
  readonly cst: bigint;
  /** The label the value is relative to; undefined for a constant. */
  readonly place: Place | undefined;
}

interface Entry {
  readonly value: Value;
  used: boolean;
}

/** The assembler's `.set` symbols. */
export class Symbols {
  private readonly table = new Map<string, Entry>();

  /** Whether `name` is a symbol. */
  has(name: string): boolean {
    return this.table.has(name);
  }

  /** The value of `name`, now counted as used; undefined when it is not a symbol. */
  use(name: string): Value | undefined {
    const e = this.table.get(name);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  /** Binds `name` to `value` (by .equiv when `once`); the reason llvm-mc refuses it, if it does. */
  assign(name: string, value: Value, once: boolean): string | undefined {
    const e = this.table.get(name);
    if (e !== undefined && once) return `redefinition of "${name}"`;
    if (e !== undefined && e.used && e.value.place !== undefined) return `invalid reassignment of "${name}": it stands for a label and is already used`;
    this.table.set(name, { value, used: false });
    return undefined;
  }

  /** Whether some symbol's value is relative to label `name`. */
  refersTo(name: string): boolean {
    for (const e of this.table.values()) if (e.value.place?.name === name) return true;
    return false;
  }
}
