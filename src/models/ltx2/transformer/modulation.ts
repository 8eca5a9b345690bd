// AdaLN tables: a block's learned table (n, D) plus the per-token modulation (B, T, n·D), split into n rows of
// [B, T, D] (get_ada_values in transformer.py). One add and one transposing copy per block; the rows are views.
import { addBroadcast, narrow, permute, reshape } from "../../../runtime/shape.js";
import type { Tensor } from "../../../runtime/tensor.js";

/** Rows `from`..`from+count` of table (n, D) + modulation viewed as (B, T, n, D); each row [B, T, D] f32. */
export function modulationRows(table: Tensor, modulation: Tensor, from = 0, count = table.shape[0]!): Tensor[] {
  const [n, d] = table.shape as [number, number];
  const [b, t] = modulation.shape as [number, number];
  using tableRows = narrow(table, 0, from, count);
  using mod4 = reshape(modulation, [b, t, n, d]);
  using modRows = narrow(mod4, 2, from, count);
  using sum = addBroadcast(modRows, tableRows);
  using byRow = permute(sum, [2, 0, 1, 3]);
  return Array.from({ length: count }, (_, k) => {
    using row = narrow(byRow, 0, k, 1);
    return reshape(row, [b, t, d]);
  });
}

export function disposeAll(ts: readonly Tensor[]): void {
  for (const t of ts) t.dispose();
}
