// Boots one test VM: QEMU with TCG (this machine's /dev/kvm cannot boot stock kernels), the
// kernel and initramfs from .cache/vm/kernels/<name>/, the host's / shared read-only and the
// project shared read-write over 9p. The guest (vm/guest/init, vm/guest/job.sh) runs the suite
// and writes status + summary.json into the run dir; this module only boots, logs and times.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

/**
 * QEMU's arguments for one VM. Pure, so it can be tested. `append` adds kernel parameters (env
 * TSBPF_VM_APPEND, e.g. loglevel=7); `cpu` is QEMU's CPU model (env TSBPF_VM_CPU; Bun needs AVX2).
 */
export function qemuArgs({ kernelDir, name, project, runDir, memory = 2048, append = process.env.TSBPF_VM_APPEND, cpu = process.env.TSBPF_VM_CPU || "max" }) {
  for (const [what, p] of [["project", project], ["run dir", runDir]]) {
    // The kernel command line splits on spaces and QEMU's option parser on commas.
    if (/[\s,]/.test(p)) throw new Error(`the ${what} path "${p}" contains a space or comma; the VM matrix cannot share it`);
  }
  const cmdline = [
    "console=ttyS0", "quiet", "panic=-1", "oops=panic",
    `tsbpf.project=${project}`, `tsbpf.run=${runDir}`, `tsbpf.kernel=${name}`,
    ...(append ? [append] : []),
  ].join(" ");
  return [
    "-accel", "tcg,thread=multi", "-cpu", cpu, "-smp", "1", "-m", `${memory}M`,
    "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
    "-kernel", `${kernelDir}/vmlinuz`, "-initrd", `${kernelDir}/initramfs.cpio`, "-append", cmdline,
    "-fsdev", "local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap",
    "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
    "-fsdev", `local,id=project,path=${project},security_model=none,multidevs=remap`,
    "-device", "virtio-9p-pci,fsdev=project,mount_tag=project",
  ];
}

/**
 * Boots a VM and resolves when QEMU has exited: { code, signal, timedOut, seconds }.
 * The serial console goes to `consoleLog` (and, with `onLine`, line by line to the caller).
 * After `timeout` seconds QEMU gets SIGTERM, then SIGKILL.
 */
export function boot({ args, consoleLog, timeout, onLine }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out = createWriteStream(consoleLog);
    const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(qemu);
    let timedOut = false;
    let partial = "";
    const feed = (chunk) => {
      out.write(chunk);
      if (!onLine) return;
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop();
      for (const l of lines) onLine(l);
    };
    qemu.stdout.on("data", feed);
    qemu.stderr.on("data", feed);
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill("SIGTERM");
      setTimeout(() => qemu.kill("SIGKILL"), 5000).unref();
    }, timeout * 1000);
    qemu.on("error", (e) => {
      clearTimeout(timer);
      running.delete(qemu);
      reject(new Error(`cannot start qemu-system-x86_64 (${e.message}); run: bash vm/install-deps.sh`));
    });
    qemu.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(qemu);
      if (onLine && partial) onLine(partial);
      out.end(() => resolve({ code, signal, timedOut, seconds: (performance.now() - t0) / 1000 }));
    });
  });
}

const running = new Set();

/** Kills every QEMU this process started (on Ctrl-C). */
export function killAll() {
  for (const q of running) q.kill("SIGKILL");
}
