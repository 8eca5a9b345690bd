{
  "variables": {
    "aiprod_core_sources": [
      "native/runtime/dtype.cc",
      "native/runtime/storage.cc",
      "native/runtime/map_pool.cc",
      "native/runtime/cpu_features.cc",
      "native/runtime/dispatch.cc",
      "native/runtime/threadpool.cc",
      "native/runtime/cuda_loader.cc",
      "native/runtime/packed_cache.cc",
      "native/kernels/ref/elementwise_ref.cc",
      "native/kernels/ref/f8e4m3.cc",
      "native/kernels/elementwise.cc",
      "native/kernels/ref/gemm_ref.cc",
      "native/kernels/gemm/gemm.cc",
      "native/kernels/ref/attention_ref.cc",
      "native/kernels/attention/attention.cc",
      "native/kernels/ref/conv3d_ref.cc",
      "native/kernels/conv/conv3d.cc",
      "native/kernels/conv/conv3d_rows.cc",
      "native/kernels/ref/conv_transpose1d_ref.cc",
      "native/kernels/conv/conv_transpose1d.cc",
      "native/kernels/ref/pointwise_ref.cc",
      "native/kernels/pointwise/pointwise_dispatch.cc",
      "native/kernels/pointwise/norm.cc",
      "native/kernels/pointwise/modulation.cc",
      "native/kernels/pointwise/rope.cc",
      "native/kernels/layout/layout.cc",
      "native/kernels/fma_peak.cc",
      "native/kernels/shape/shape.cc"
    ],
    "aiprod_avx2_sources": [
      "native/kernels/x86/avx2/elementwise_avx2.cc",
      "native/kernels/x86/avx2/gemm_avx2.cc",
      "native/kernels/x86/avx2/pointwise_avx2.cc",
      "native/kernels/x86/avx2/fma_peak_avx2.cc"
    ],
    "aiprod_avx512_sources": [
      "native/kernels/x86/avx512/elementwise_avx512.cc",
      "native/kernels/x86/avx512/gemm_avx512.cc",
      "native/kernels/x86/avx512/pointwise_avx512.cc",
      "native/kernels/x86/avx512/fma_peak_avx512.cc"
    ],
    "aiprod_avx512bf16_sources": [
      "native/kernels/x86/avx512bf16/gemm_avx512bf16.cc",
      "native/kernels/x86/avx512bf16/fma_peak_avx512bf16.cc"
    ],
    "aiprod_binding_sources": [
      "native/binding/addon.cc",
      "native/binding/errors.cc",
      "native/binding/args.cc",
      "native/binding/tensor_wrap.cc",
      "native/binding/ops_elementwise.cc",
      "native/binding/ops_linear.cc",
      "native/binding/ops_attention.cc",
      "native/binding/ops_conv.cc",
      "native/binding/info.cc",
      "native/binding/pointwise_args.cc",
      "native/binding/ops_norm.cc",
      "native/binding/ops_activation.cc",
      "native/binding/ops_rope.cc",
      "native/binding/ops_layout.cc",
      "native/binding/ops_bench.cc",
      "native/binding/ops_shape.cc"
    ]
  }
}
