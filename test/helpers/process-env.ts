// The live environment the library's look-ups read (PATH, LD_LIBRARY_PATH), changed for a test
// and put back.

/** Sets `name` in the live environment, or unsets it for undefined. */
export function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Runs `f` with `name` set to `value` (unset for undefined), then puts back what was there. */
export function withEnv<T>(name: string, value: string | undefined, f: () => T): T {
  const saved = process.env[name];
  setEnv(name, value);
  try {
    return f();
  } finally {
    setEnv(name, saved);
  }
}
