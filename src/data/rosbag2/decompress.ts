/** MCAP chunk decompression: zstd (fzstd) and lz4 (lz4js), both pure JS. */
import { decompress as zstdDecompress } from "fzstd";
import { decompress as lz4Decompress } from "lz4js";
import type { McapTypes } from "@mcap/core";

export const DECOMPRESS_HANDLERS: McapTypes.DecompressHandlers = {
  zstd: (buffer, size) => zstdDecompress(buffer, new Uint8Array(Number(size))),
  lz4: (buffer, size) => lz4Decompress(buffer, Number(size)),
};
