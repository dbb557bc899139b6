/**
 * A deterministic 128-bit string hash (two seeded cyrb53-style passes, 32 hex digits), for ids that must be the
 * same wherever they are computed (the same event recorded by two servers gets one id). Not cryptographic: the
 * inputs are our own keys, and only accidental collisions matter.
 */
const pass = (input: string, seed: number): string => {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < input.length; i++) {
    const ch = input.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0")
}

export const hash128 = (input: string): string => pass(input, 0x9e3779b9) + pass(input, 0x85ebca6b)
