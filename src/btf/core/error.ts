/**
 * CoreError: a CO-RE relocation that cannot be applied - a malformed record or access string,
 * ambiguous candidates, an instruction of the wrong form - naming the relocation as libbpf's
 * log does: its section and instruction, kind, access string and local type.
 * @module
 */
import type { CoreKindName } from "./kinds.ts";

/** The relocation a CoreError is about. */
export interface CoreRelocationRef {
  /** Position of the relocation in the list given to applyCoreRelos (libbpf's relo #N). */
  index: number;
  /** The ELF section of the program, when the caller named it. */
  section?: string;
  /** Instruction index into the instructions relocated. */
  insn: number;
  /** bpf_core_relo.kind. */
  kind: number;
  /** libbpf's name of the kind ("byte_off", ...), or "unknown". */
  kindName: CoreKindName | "unknown";
  /** The access string. */
  access: string;
  /** bpf_core_relo.type_id: the local root type. */
  localTypeId: number;
  /** The local root type as "struct task_struct", "<anon>" without a name, "?" when the id is bad. */
  localType: string;
}

/** A CO-RE relocation that cannot be applied; poisoning is not an error, this is. */
export class CoreError extends Error {
  /** The relocation. */
  readonly relocation: CoreRelocationRef;

  /** An error saying `what` about relocation `relocation`. */
  constructor(what: string, relocation: CoreRelocationRef, options?: { cause?: unknown }) {
    const r = relocation;
    const at = `${r.section !== undefined ? `section ${JSON.stringify(r.section)}, ` : ""}insn #${r.insn}`;
    super(`CO-RE relocation #${r.index} (${at}) <${r.kindName}> [${r.localTypeId}] ${r.localType} access ${JSON.stringify(r.access)}: ${what}`, options);
    this.name = "CoreError";
    this.relocation = relocation;
  }
}

/** What the engine's inner steps throw; applyCoreRelos turns it into a CoreError naming the relocation. */
export class CoreFailure extends Error {
  /** libbpf's errno for the case (EINVAL, E2BIG, ERANGE, EOPNOTSUPP), for the message. */
  readonly errno: string;

  /** A failure saying `what`. */
  constructor(what: string, errno = "EINVAL") {
    super(what);
    this.name = "CoreFailure";
    this.errno = errno;
  }
}

/** Throws a CoreFailure. */
export function fail(what: string, errno?: string): never {
  throw new CoreFailure(what, errno);
}
