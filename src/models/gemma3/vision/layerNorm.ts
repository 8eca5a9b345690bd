// torch.nn.LayerNorm with weight and bias over the last dim: (x − mean) / sqrt(var + eps) · weight + bias.
import { layerNorm } from "../../../runtime/norm.js";
import { addBroadcast, mulBroadcast } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";
import type { LayerNormParams } from "./weights.js";

export function affineLayerNorm(x: Tensor, p: LayerNormParams, eps: number): Tensor {
  using n = layerNorm(x, { eps });
  using s = mulBroadcast(n, p.weight);
  return addBroadcast(s, p.bias);
}
