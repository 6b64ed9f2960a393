/** Minimal types for lz4js (pure JS LZ4 frame codec; the package ships none). */
declare module "lz4js" {
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
