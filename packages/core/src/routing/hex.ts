const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`: map keys and log fields for message ids. */
export const toHex = (bytes: Uint8Array): string => {
  let out = ''
  for (const b of bytes) out += HEX[b] as string
  return out
}
