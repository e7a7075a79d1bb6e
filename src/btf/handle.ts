/**
 * BtfHandle: a BTF object loaded into the kernel, owning its fd (live; installs btf.load()).
 * @module
 */
export {};
