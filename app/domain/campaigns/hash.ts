/**
 * Small pure hashes. The domain core may not use node:crypto, and assignment must be reproducible
 * across processes, releases and languages (SQL, a notebook), so the algorithm is fixed here.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * FNV-1a 64 over the UTF-8 bytes of `s`. The loop works on four 16-bit limbs instead of BigInt
 * (about 10× faster, which matters when a campaign assigns 100k customers); the prime
 * 0x100000001b3 = 2^40 + 0x1b3 makes the limb product short.
 */
export function fnv1a64(s: string): bigint {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of encoder.encode(s)) {
    h0 ^= byte;
    const r0 = h0 * 0x1b3;
    const r1 = h1 * 0x1b3 + (r0 >>> 16);
    const r2 = h2 * 0x1b3 + (h0 << 8) + (r1 >>> 16);
    const r3 = h3 * 0x1b3 + (h1 << 8) + (r2 >>> 16);
    h0 = r0 & 0xffff;
    h1 = r1 & 0xffff;
    h2 = r2 & 0xffff;
    h3 = r3 & 0xffff;
  }
  return (BigInt(h3) << 48n) | (BigInt(h2) << 32n) | (BigInt(h1) << 16n) | BigInt(h0);
}

/** Reference BigInt implementation, kept to cross-check the limb arithmetic in tests. */
export function fnv1a64Reference(s: string): bigint {
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
