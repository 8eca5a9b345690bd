{
  "variables": {
    "aiprod_core_sources": [
      "native/runtime/dtype.cc",
      "native/runtime/storage.cc",
      "native/runtime/cpu_features.cc",
      "native/runtime/dispatch.cc",
      "native/runtime/threadpool.cc",
      "native/runtime/cuda_loader.cc",
      "native/kernels/ref/elementwise_ref.cc",
      "native/kernels/ref/f8e4m3.cc",
      "native/kernels/elementwise.cc",
      "native/kernels/fma_peak.cc"
    ],
    "aiprod_avx2_sources": [
      "native/kernels/x86/avx2/elementwise_avx2.cc",
      "native/kernels/x86/avx2/fma_peak_avx2.cc"
    ],
    "aiprod_avx512_sources": [
      "native/kernels/x86/avx512/elementwise_avx512.cc",
      "native/kernels/x86/avx512/fma_peak_avx512.cc"
    ],
    "aiprod_avx512bf16_sources": [
      "native/kernels/x86/avx512bf16/fma_peak_avx512bf16.cc"
    ],
    "aiprod_binding_sources": [
      "native/binding/addon.cc",
      "native/binding/errors.cc",
      "native/binding/tensor_wrap.cc",
      "native/binding/ops_elementwise.cc",
      "native/binding/ops_bench.cc",
      "native/binding/info.cc"
    ]
  }
}
