/**
 * Essential names: a type's name without its flavour, the part after the last `X___Y`
 * (libbpf's bpf_core_essential_name_len), so that `struct foo___v2` relocates against `foo`.
 * @module
 */

// X___Y, where neither X nor Y is an underscore (libbpf's bpf_core_is_flavor_sep).
function isFlavourSep(s: string, i: number): boolean {
  return s.charCodeAt(i) !== 0x5f && s.charCodeAt(i + 1) === 0x5f && s.charCodeAt(i + 2) === 0x5f &&
    s.charCodeAt(i + 3) === 0x5f && s.charCodeAt(i + 4) !== 0x5f && i + 4 < s.length;
}

/** `name` up to its last flavour separator: "foo___v2" -> "foo", "a___b___c" -> "a___b", "__x" -> "__x". */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) if (isFlavourSep(name, i)) return name.slice(0, i + 1);
  return name;
}

/**
 * libbpf's bpf_core_names_match: an anonymous target matches only an anonymous local; named ones
 * match when their essential names are equal.
 */
export function namesMatch(local: string, target: string): boolean {
  if (target === "") return local === "";
  return essentialName(local) === essentialName(target);
}

/** Either is anonymous, or both have the same essential name (bpf_core_fields_are_compat's rule for enums and fwds). */
export function anonOrSameEssential(a: string, b: string): boolean {
  const ea = essentialName(a), eb = essentialName(b);
  return ea === "" || eb === "" || ea === eb;
}
