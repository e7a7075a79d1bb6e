/**
 * The assembler's labels: named ones (`out:`) defined once, numeric local ones (`1:`) defined
 * any number of times and referenced as `1b` (the nearest before) or `1f` (the nearest after),
 * and the references to patch once the whole source has been read.
 * @module
 */

/** A reference's field: a 16-bit offset in off, or a 32-bit one in imm (gotol, calls). */
export const FixField = { off16: 0, imm32: 1 } as const;
/** A value of {@link FixField}. */
export type FixField = (typeof FixField)[keyof typeof FixField];

/** Why a reference cannot be resolved, and the source offset of the reference. */
export class LabelError extends Error {
  /** Source offset of the reference. */
  readonly at: number;
  /** The problem with the reference at `at`. */
  constructor(at: number, message: string) {
    super(message);
    this.at = at;
  }
}

/**
 * A place in the program: named label `name`, definition number `which` of numeric label `name`,
 * or (no name) slot `which` itself, as `.` is.
 */
export interface Place {
  /** The label, or undefined for a slot known already. */
  readonly name: string | number | undefined;
  /** Which definition of a numeric label; the slot when there is no name; -1 for a named label. */
  readonly which: number;
}

/** Label definitions and pending references; resolve() patches encoded slots. */
export class Labels {
  private readonly named = new Map<string, number>();
  private readonly numbered = new Map<number, number[]>();
  // One entry per reference, in parallel arrays (no object per jump).
  private readonly slot: number[] = [];
  private readonly field: FixField[] = [];
  private readonly name: (string | number | undefined)[] = [];
  private readonly whichDef: number[] = []; // numeric labels: index into that label's definitions
  private readonly addend: number[] = []; // slots beyond the place
  private readonly at: number[] = [];

  /** Defines `name` at `slot`; false if a named label is already defined. */
  define(name: string | number, slot: number): boolean {
    if (typeof name === "number") {
      const defs = this.numbered.get(name);
      if (defs === undefined) this.numbered.set(name, [slot]);
      else defs.push(slot);
      return true;
    }
    if (this.named.has(name)) return false;
    this.named.set(name, slot);
    return true;
  }

  /** Whether named label `name` is defined (so far). */
  has(name: string): boolean {
    return this.named.has(name);
  }

  /** The place `name` names here: a named label, or numeric label `name` before/after (dir -1/+1). */
  place(name: string | number, dir: number): Place {
    return { name, which: this.defIndex(name, dir) };
  }

  /** Records that the slot `slot` refers to `name` (or numeric label `name` before/after: dir -1/+1). */
  refer(slot: number, field: FixField, name: string | number, dir: number, at: number): void {
    this.push(slot, field, name, this.defIndex(name, dir), 0, at);
  }

  /** Records that slot `slot` refers to `addend` slots after `place`. */
  referPlace(slot: number, field: FixField, place: Place, addend: number, at: number): void {
    this.push(slot, field, place.name, place.which, addend, at);
  }

  /** Source offset of the first reference to named label `name`, or -1 if there is none yet. */
  firstUse(name: string): number {
    const f = this.name.indexOf(name);
    return f < 0 ? -1 : this.at[f];
  }

  // The definition a numeric label reference means: the last one so far (b) or the next (f).
  private defIndex(name: string | number, dir: number): number {
    if (typeof name === "string") return -1;
    const seen = this.numbered.get(name)?.length ?? 0;
    return dir < 0 ? seen - 1 : seen;
  }

  private push(slot: number, field: FixField, name: string | number | undefined, which: number, addend: number, at: number): void {
    this.slot.push(slot);
    this.field.push(field);
    this.name.push(name);
    this.whichDef.push(which);
    this.addend.push(addend);
    this.at.push(at);
  }

  /** Writes every reference's offset (target - next slot) into `out`; a LabelError if one cannot be. */
  resolve(out: Uint8Array, little: boolean): void {
    for (let f = 0; f < this.slot.length; f++) {
      const name = this.name[f];
      let target: number | undefined;
      if (typeof name === "string") {
        target = this.named.get(name);
        if (target === undefined) throw new LabelError(this.at[f], `unknown label "${name}"`);
      } else if (name === undefined) {
        target = this.whichDef[f];
      } else {
        const k = this.whichDef[f];
        target = k >= 0 ? this.numbered.get(name)?.[k] : undefined;
        if (target === undefined) throw new LabelError(this.at[f], `no numeric label ${name} ${k < 0 ? "before" : "after"} this reference`);
      }
      const slot = this.slot[f];
      const off = target + this.addend[f] - slot - 1;
      const wide = this.field[f] === FixField.imm32;
      if (wide ? off < -2147483648 || off > 2147483647 : off < -32768 || off > 32767) {
        const what = name === undefined ? "the target" : `label "${name}"`;
        throw new LabelError(this.at[f], `${what} is ${off} instructions away, which does not fit in ${wide ? 32 : 16} signed bits`);
      }
      const p = slot * 8;
      if (!wide) {
        out[p + (little ? 2 : 3)] = off;
        out[p + (little ? 3 : 2)] = off >> 8;
      } else if (little) {
        out[p + 4] = off;
        out[p + 5] = off >> 8;
        out[p + 6] = off >> 16;
        out[p + 7] = off >> 24;
      } else {
        out[p + 4] = off >> 24;
        out[p + 5] = off >> 16;
        out[p + 6] = off >> 8;
        out[p + 7] = off;
      }
    }
  }
}
