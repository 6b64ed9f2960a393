/** Node file adapter for McapWriter's IWritable: buffered appends to a file descriptor, fsync on close. */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { IWritable } from "@mcap/core";

const BUFFER_BYTES = 1 << 20;

export class FileWritable implements IWritable {
  #fd: number;
  #position = 0n;
  #buffer = new Uint8Array(BUFFER_BYTES);
  #used = 0;

  constructor(readonly path: string) {
    this.#fd = openSync(path, "wx");
  }

  position(): bigint {
    return this.#position;
  }

  async write(data: Uint8Array): Promise<void> {
    this.#position += BigInt(data.length);
    if (this.#used + data.length > this.#buffer.length) this.flush();
    if (data.length >= this.#buffer.length) {
      writeSync(this.#fd, data);
      return;
    }
    this.#buffer.set(data, this.#used);
    this.#used += data.length;
  }

  flush(): void {
    let off = 0;
    while (off < this.#used) off += writeSync(this.#fd, this.#buffer, off, this.#used - off);
    this.#used = 0;
  }

  close(): void {
    this.flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
  }
}
