/**
 * How many fds the library's objects (FdObject: maps, programs, links, BTF) hold, so an EMFILE
 * can say whose fds filled the table. fd-object.ts counts; errors.ts reads. A leaf module: the error
 * classes cannot import the object base class without an import cycle.
 * @module
 */

/** Fds held by BpfObjects of this copy of the library. */
export interface FdCensus {
  /** Objects whose fd is open now: not closed yet, though some may be unreachable, awaiting the GC. */
  open: number;
  /** Objects dropped without close() whose fd the garbage collector has closed so far. */
  collected: number;
}

const counts: FdCensus = { open: 0, collected: 0 };

/** Counts an object that took ownership of an fd. */
export function censusOpened(): void {
  counts.open++;
}

/** Counts an object whose fd was closed: by close(), or by the GC for a dropped one. */
export function censusClosed(byGc: boolean): void {
  counts.open--;
  if (byGc) counts.collected++;
}

/** A copy of the counts now. */
export function fdCensus(): FdCensus {
  return { ...counts };
}

/** The census as a sentence for EMFILE and ENFILE messages. */
export function censusText(): string {
  const { open, collected } = counts;
  // Finalizers run between tasks: a synchronous loop that drops objects never gets their fds back.
  return `tsbpf objects hold ${open} fd${open === 1 ? "" : "s"} open now (including any dropped without close() ` +
    `that the GC has not collected yet), and the GC has closed ${collected} of dropped ones so far: ` +
    "call close() on objects when done, or declare them with `using`, to release their fds at once";
}
