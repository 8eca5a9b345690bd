// onnxruntime sessions configured the way the benchmark compares: the engine's thread count for intra-op work,
// one inter-op thread, sequential execution, all graph optimizations, loaded from an in-memory model.
import * as ort from "onnxruntime-node";

export interface PeerSession {
  run(feeds: Record<string, Float32Array>): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createPeerSession(
  model: Uint8Array,
  inputs: readonly { name: string; dims: readonly number[] }[],
  outputName: string,
  threads: number,
): Promise<PeerSession> {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
  });
  const dims = new Map(inputs.map((i) => [i.name, i.dims]));
  return {
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, data] of Object.entries(feeds)) {
        const d = dims.get(name);
        if (!d) throw new Error(`peer: the model has no input '${name}'`);
        tensors[name] = new ort.Tensor("float32", data, d);
      }
      const out = await session.run(tensors);
      const y = out[outputName];
      if (!y) throw new Error(`peer: the model returned no '${outputName}'`);
      return y.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/** "onnxruntime-node 1.30.0" */
export function peerVersion(): string {
  return `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`;
}
