// The released LTX-2 19B transformer's config.transformer (the keys that differ from the parser's defaults), for
// benchmarks with random weights (shared/reference/ltx2-architecture.md).
export const LTX2_19B_TRANSFORMER = {
  num_layers: 48, num_attention_heads: 32, attention_head_dim: 128, cross_attention_dim: 4096, audio_num_attention_heads: 32,
  audio_attention_head_dim: 64, audio_cross_attention_dim: 2048, caption_channels: 3840, av_ca_timestep_scale_multiplier: 1000,
  frequencies_precision: "float64",
};
