/**
 * The host's byte order, for parsers that read native-order data through typed arrays (several
 * times faster than DataView on Bun) and fall back to DataView for the other order.
 * @module
 */

/** True on a little-endian host (x86_64, aarch64 as Linux runs it). */
export const HOST_LITTLE: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
