/**
 * Probes of BTF: loading a blob (BPF_BTF_LOAD), BTF types on a hash map's key and value, and the
 * kernel's own BTF as an object with an id.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { btfLoad } from "../cmd/btf.ts";
import { close } from "../cmd/fd.ts";
import { btfGetFdById, btfGetNextId } from "../cmd/ids.ts";
import { btfInfoByFd } from "../cmd/info.ts";
import { mapCreate } from "../cmd/map.ts";
import { ENOTSUPP } from "../errors.ts";
import { intBtf } from "./int-btf.ts";
import { cached, errnoOf, verdict } from "./probe.ts";

/** The fd of a one-int BTF object, or null where BPF_BTF_LOAD is unknown. */
function loadIntBtf(what: string): number | null {
  try {
    return btfLoad(intBtf());
  } catch (e) {
    verdict(errnoOf(e), what, "btf_load"); // throws for anything but the EINVAL of an unknown command
    return null;
  }
}

/** Whether BPF_BTF_LOAD exists (4.18), by loading a BTF blob of one int. Cached. */
export function haveBtfLoad(): boolean {
  return cached("BPF_BTF_LOAD", () => {
    const fd = loadIntBtf("BPF_BTF_LOAD");
    if (fd === null) return false;
    close(fd);
    return true;
  });
}

/**
 * Whether a hash map takes BTF types for its key and value (4.19; 4.18 took them on arrays only),
 * by creating one with the int of a one-type blob as both. Cached.
 */
export function haveMapBtf(): boolean {
  const what = "BTF key and value types on a hash map";
  return cached(what, () => {
    const btf = loadIntBtf(what);
    if (btf === null) return false;
    try {
      close(mapCreate(MapType.hash, 4, 4, 1, { btfFd: btf, btfKeyTypeId: 1, btfValueTypeId: 1 }));
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      return errno !== ENOTSUPP && verdict(errno, what, "map_create");
    } finally {
      close(btf);
    }
  });
}

/**
 * Whether the kernel's own BTF is a BTF object with an id whose info says kernel_btf (5.11, and
 * CONFIG_DEBUG_INFO_BTF), by walking the BTF ids (vmlinux is the first one as a rule). Cached.
 */
export function haveKernelBtf(): boolean {
  const what = "the kernel's BTF by id";
  return cached(what, () => {
    let id: number | null;
    try {
      id = btfGetNextId(0);
    } catch (e) {
      return verdict(errnoOf(e), what, "btf_get_next_id"); // BPF_BTF_GET_NEXT_ID is 5.4
    }
    for (; id !== null; id = btfGetNextId(id)) {
      let fd: number;
      try {
        fd = btfGetFdById(id);
      } catch (e) {
        if (errnoOf(e) === Errno.ENOENT) continue; // freed since the walk saw it
        throw e;
      }
      try {
        // Kernels before 5.11 fill no kernel_btf: the field is absent.
        if (btfInfoByFd(fd).kernel_btf === 1) return true;
      } finally {
        close(fd);
      }
    }
    return false;
  });
}
