/**
 * Small pure hashes. The domain core may not use node:crypto, and assignment must be reproducible
 * across processes, releases and languages (SQL, a notebook), so the algorithm is fixed here.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** FNV-1a 64 over the UTF-8 bytes of `s`. */
export function fnv1a64(s: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of encoder.encode(s)) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

/**
 * MurmurHash3's 64-bit finaliser. FNV-1a alone mixes the last input bytes into the high bits only
 * through carries, so sequential customer ids would land in correlated buckets; the finaliser gives
 * full avalanche.
 */
export function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & MASK64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & MASK64;
  k ^= k >> 33n;
  return k;
}

export function hash64(s: string): bigint {
  return fmix64(fnv1a64(s));
}

/** A hash mapped to a uniform number in [0, 1); injectable so tests or a SQL port can share it. */
export type UnitHasher = (key: string) => number;

/** Top 53 bits of {@link hash64} as a double in [0, 1). */
export const defaultUnitHasher: UnitHasher = (key) => Number(hash64(key) >> 11n) / 2 ** 53;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `length` Crockford base32 characters from the high bits of the hash (no I, L, O, U: easy to read out on a call). */
export function base32Of(h: bigint, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += CROCKFORD[Number((h >> BigInt(64 - 5 * (i + 1))) & 31n)];
  return out;
}
