/**
 * A faster `Slice` kernel for tfjs-backend-wasm 4.22.
 *
 * The stock kernel calls `backend.readSync(x)`, which copies the *whole* input tensor out of the wasm heap
 * (`HEAPU8.slice`) before copying the slice: slicing a 256-float bias out of a 140k-float parameter
 * vector cost 1-4 ms here. This kernel reads through a heap view instead (no copy of the input), with the
 * same results. Registered once by selectBackend when wasm runs; measured in `tether bench train`.
 */
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let installed = false;
let stock: tf.KernelConfig | undefined;

/** Puts the stock kernel back (the benchmark measures both). */
export function uninstallFastSlice(): void {
  if (!installed || !stock) return;
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel(stock);
  installed = false;
}

export function installFastSlice(): void {
  if (installed) return;
  const original = stock ?? tf.getKernel("Slice", "wasm");
  if (!original) return;
  stock = original;
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({
    kernelName: "Slice",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const backend = args.backend as unknown as WasmBackendLike;
      if (x.dtype === "string" || x.shape.length > 2) return original.kernelFunc(args);
      const [begin, size] = tf.slice_util.parseSliceParams(
        x as unknown as tf.Tensor,
        attrs.begin,
        attrs.size,
      );
      const out = backend.makeOutput(size, x.dtype);
      // Views are taken after makeOutput: allocation may grow (and detach) the heap.
      const outVals = backend.typedArrayFromHeap(out);
      const xVals = backend.typedArrayFromHeap(x);
      if (x.shape.length <= 1 || tf.slice_util.isSliceContinous(x.shape, begin, size)) {
        const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
        outVals.set(xVals.subarray(offset, offset + tf.util.sizeFromShape(size)));
        return out;
      }
      const stride = x.shape[1];
      let o = 0;
      for (let i = begin[0]; i < begin[0] + size[0]; i++) {
        const start = i * stride + begin[1];
        outVals.set(xVals.subarray(start, start + size[1]), o);
        o += size[1];
      }
      return out;
    },
  });
  installed = true;
}
