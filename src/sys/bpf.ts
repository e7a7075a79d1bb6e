/**
 * The bpf() call itself: every command goes through `bpfRaw`, so one replaceable backend and one
 * place handle buffer lifetimes and errno.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { BpfError, type BpfErrorDetail } from "../errors.ts";
import type { Attr } from "./attr.ts";
import { getBackend } from "./backend.ts";

const CMD_NAMES: string[] = [];
for (const [name, n] of Object.entries(Cmd)) CMD_NAMES[n] ??= name;

/** The name of a bpf command number ("map_lookup_elem"), or "cmd_<n>" for an unknown one. */
export function cmdName(cmd: number): string {
  return CMD_NAMES[cmd] ?? `cmd_${cmd}`;
}

/** bpf(cmd, attr, size): the result, or -errno. Releases the buffers `attr` kept alive for the call. */
export function bpfRaw(cmd: number, attr: Attr, size: number): number {
  const b = getBackend();
  const rc = b.bpf(cmd, attr.u8, attr.addr(b), size);
  attr.release();
  return rc;
}

/** bpf(cmd, attr, size): the result (an fd, an id, 0); throws a BpfError on failure. */
export function bpfCall(cmd: number, attr: Attr, size: number, detail?: BpfErrorDetail): number {
  const rc = bpfRaw(cmd, attr, size);
  if (rc < 0) throw new BpfError(cmdName(cmd), -rc, detail);
  return rc;
}
