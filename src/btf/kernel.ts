/**
 * The running kernel's BTF: vmlinux and module BTF from /sys/kernel/btf (live; installs
 * Btf.kernel and Btf.kernelModule).
 * @module
 */
export {};
