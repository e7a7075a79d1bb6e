// Socket map programs on UDP sockets inside a network namespace this file makes: an sk_skb
// verdict program that counts and drops what a socket in the map receives, as a sockmap link
// (6.10+) and, forced with via "attach", as the BPF_PROG_ATTACH of older kernels; the kernel
// gives sockets the map's programs as they join it, so a socket already in the map keeps the
// program after close() until it leaves the map. Then sockhash, the stream parser and sk_msg
// verdict (attached and detached, as BPF_PROG_QUERY sees), update(), one program per attach
// type, and the errors.
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, Attachment, AttachType, attachSockMap, BpfMap, FeatureError, LinkType, MapType, ProgType, progQuery, queryPrograms, u32,
} from "../../mod.ts";
import { closeQuietly } from "../../src/sys/file.ts";
import { bind, getsockname, recvfrom, sendto, Sock, sockaddrIn, socket } from "../../src/sys/socket.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { count, countsMap } from "./counter.ts";
import { bpfError, thrown } from "../helpers/expect.ts";

const SK_DROP = 0;
const SK_PASS = 1;
const tools = netnsMissing();
const linkSince = ATTACH_VERSIONS.sockmap_link.version;
const VERDICT = { feature: [{ progType: "sk_skb" }, { mapType: "sockmap" }], skipIf: tools } as const;
const UDP = {
  ...VERDICT,
  skipIf: tools ?? (kernelAtLeast(ATTACH_VERSIONS.sk_skb_verdict.version) ? null : `sk_skb verdicts on UDP sockets need Linux ${ATTACH_VERSIONS.sk_skb_verdict.version}+`),
} as const;
const QUERY = { ...VERDICT, skipIf: tools ?? (kernelAtLeast("5.18") ? null : "BPF_PROG_QUERY of a socket map needs Linux 5.18+") } as const;

let ns: TestNetns | undefined;
let rx = -1, tx = -1;
let to: Uint8Array;
const buf = new Uint8Array(64);

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("sockmap");
  ns.enter(() => {
    rx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
    bind(rx, sockaddrIn("127.0.0.1", 0));
    tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
  });
  to = getsockname(rx);
});

afterAll(() => {
  for (const fd of [rx, tx]) if (fd >= 0) closeQuietly(fd);
  ns?.remove();
});

/**
 * Sends `n` one-byte datagrams to rx; the bytes it then holds. A socket in a map reads what its
 * verdict passed from the psock's queue, several datagrams per read, and the kernel may queue
 * them from a worker: wait up to `ms` for all `n`.
 */
function deliver(n: number, ms = 200): number {
  for (let i = 0; i < n; i++) sendto(tx, new Uint8Array([i]), to);
  let got = 0;
  const end = Date.now() + ms;
  while (got < n && Date.now() < end) {
    const r = recvfrom(rx, buf, Sock.MSG_DONTWAIT);
    if (r === null) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    else got += r;
  }
  return got;
}

const sockmap = (type: number = MapType.sockmap) => BpfMap.create({ type, key: u32, value: u32, maxEntries: 2 });
const verdict = (counts: ReturnType<typeof countsMap>, ret = SK_DROP) => netCounter(counts, { type: ProgType.sk_skb }, ret);

describePriv("attachSockMap: sk_skb verdicts on a UDP socket", UDP, () => {
  const ways = [
    ["auto", AttachType.sk_skb_verdict],
    ["attach", AttachType.sk_skb_verdict],
    ["attach", AttachType.sk_skb_stream_verdict],
    ["auto", AttachType.sk_skb_stream_verdict],
  ] as const;
  for (const [via, type] of ways) {
    const name = type === AttachType.sk_skb_verdict ? "sk_skb_verdict" : "sk_skb_stream_verdict";
    itPriv(`${name}, via "${via}": counts and drops what rx receives once it joins the map; after close() only sockets joining anew are free`, UDP, () => {
      using counts = countsMap();
      using prog = verdict(counts);
      using map = sockmap();
      expect(deliver(3)).toBe(3);
      const l = attachSockMap(prog, map, type, { via });
      const link = via === "auto" && kernelAtLeast(linkSince);
      expect(l instanceof Attachment).toBe(!link);
      expect(l.type).toBe(LinkType.sockmap);
      const mapId = map.info().id;
      expect(l.info()).toMatchObject({ type: "sockmap", mapId, attachType: type, progId: prog.id, id: link ? l.id : 0 });
      expect(l.description).toBe(link
        ? `sockmap ${name} link of program "net_counter" (fd ${prog.fd}) on sockmap fd ${map.fd}`
        : `sockmap ${name} attachment (BPF_PROG_ATTACH) of program "net_counter" (fd ${prog.fd}) on sockmap fd ${map.fd}`);
      map.set(0, rx);
      try {
        expect(deliver(10)).toBe(0);
        expect(count(counts)).toBeGreaterThanOrEqual(10n);
        l.close();
        // rx got the map's program when it joined: it keeps it while it stays in the map.
        expect(deliver(2)).toBe(0);
      } finally {
        l.close();
        map.delete(0);
      }
      const frozen = count(counts);
      expect(deliver(5)).toBe(5);
      map.set(0, rx); // joining again, now that the map has no program: nothing runs
      try {
        expect(deliver(5)).toBe(5);
        expect(count(counts)).toBe(frozen);
      } finally {
        map.delete(0);
      }
    });
  }

  itPriv("sk_skb_verdict on a sockhash, passing: counted and delivered", UDP, () => {
    using counts = countsMap();
    using prog = verdict(counts, SK_PASS);
    using map = sockmap(MapType.sockhash);
    using _l = attachSockMap(prog, map.fd, AttachType.sk_skb_verdict);
    map.set(7, rx);
    try {
      expect(deliver(4)).toBe(4);
      expect(count(counts)).toBeGreaterThanOrEqual(4n);
    } finally {
      map.delete(7);
    }
  });

  itPriv("update() of an attachment swaps the program for sockets joining after it", UDP, () => {
    using counts = countsMap();
    using other = countsMap();
    using a = verdict(counts);
    using b = verdict(other, SK_PASS);
    using map = sockmap();
    using l = attachSockMap(a, map, AttachType.sk_skb_verdict, { via: "attach" });
    l.update(b, { oldProgram: a });
    expect(l.info().progId).toBe(b.id);
    map.set(0, rx);
    try {
      expect(deliver(3)).toBe(3);
      expect(count(other)).toBeGreaterThanOrEqual(3n);
      expect(count(counts)).toBe(0n);
    } finally {
      map.delete(0);
    }
  });
});

describePriv("attachSockMap: parser, sk_msg, one per attach type", QUERY, () => {
  // BPF_PROG_QUERY on the map's fd, both ways: the command, and queryPrograms on { fd }.
  const attached = (map: { fd: number }, type: number) => {
    const ids = progQuery(map.fd, type).progIds;
    expect(queryPrograms({ fd: map.fd }, type).programs.map((p) => p.id)).toEqual(ids);
    return ids;
  };

  for (const via of ["auto", "attach"] as const) {
    itPriv(`stream parser and sk_msg verdict, via "${via}": on the map while open, off after close()`, QUERY, () => {
      using counts = countsMap();
      using parser = netCounter(counts, { type: ProgType.sk_skb }, 0);
      using msg = netCounter(counts, { type: ProgType.sk_msg }, SK_PASS);
      using map = sockmap();
      const p = attachSockMap(parser, map, AttachType.sk_skb_stream_parser, { via });
      const m = attachSockMap(msg, map, AttachType.sk_msg_verdict, { via });
      expect(attached(map, AttachType.sk_skb_stream_parser)).toEqual([parser.id]);
      expect(attached(map, AttachType.sk_msg_verdict)).toEqual([msg.id]);
      p.close();
      m.close();
      expect(attached(map, AttachType.sk_skb_stream_parser)).toEqual([]);
      expect(attached(map, AttachType.sk_msg_verdict)).toEqual([]);
    });
  }

  itPriv("a second program of an attach type, or the other verdict, is EBUSY, saying why", QUERY, () => {
    using counts = countsMap();
    using a = verdict(counts);
    using b = verdict(counts);
    using map = sockmap();
    for (const via of ["auto", "attach"] as const) {
      const first = attachSockMap(a, map, AttachType.sk_skb_verdict, { via });
      for (const [prog, type] of [[b, AttachType.sk_skb_verdict], [b, AttachType.sk_skb_stream_verdict]] as const) {
        const e = bpfError(() => attachSockMap(prog, map, type, { via }).close());
        expect(e.errno).toBe(16); // EBUSY
        expect(e.message).toMatch(/^attaching program "net_counter" \(fd \d+\) as sk_skb_(stream_)?verdict to sockmap fd \d+: /);
      }
      first.close();
      expect(attached(map, AttachType.sk_skb_verdict)).toEqual([]);
    }
  });

  itPriv("bad arguments are TypeErrors; an attachment cannot be pinned; via \"link\" below 6.10 is a FeatureError", VERDICT, () => {
    using counts = countsMap();
    using prog = verdict(counts);
    using map = sockmap();
    expect(() => attachSockMap(prog, map, AttachType.xdp as never)).toThrow(/takes AttachType.sk_skb_stream_verdict, .* got xdp \(37\)/);
    expect(() => attachSockMap(prog, counts, AttachType.sk_skb_verdict)).toThrow(/map fd \d+ is no sockmap or sockhash \(map type 2\)/);
    expect(() => attachSockMap(prog, map, AttachType.sk_skb_verdict, { via: "netlink" as never })).toThrow(/via must be "auto", "link" or "attach"/);
    using a = attachSockMap(prog, map, AttachType.sk_skb_stream_verdict, { via: "attach" });
    expect(() => a.pin("/sys/fs/bpf/tsbpf-never")).toThrow(FeatureError);
    a.close();
    if (kernelAtLeast(linkSince)) return;
    const e = thrown(() => attachSockMap(prog, map, AttachType.sk_skb_stream_verdict, { via: "link" }).close(), FeatureError);
    expect(e.needs).toEqual(ATTACH_VERSIONS.sockmap_link);
  });
});
