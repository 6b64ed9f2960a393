/** Minimal types for seek-bzip (pure JS bzip2 decoder; the package ships none). */
declare module "seek-bzip" {
  const Bunzip: {
    /** Decodes a whole bzip2 stream; writes into `output` when given (its size is the expected size). */
    decode(input: Buffer | Uint8Array, output?: Buffer | number): Buffer;
  };
  export default Bunzip;
}
