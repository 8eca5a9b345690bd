# CPU-only fallback build through node-gyp, for machines without cmake. The source lists come from
# native/sources.gypi, the same file CMakeLists.txt reads, so there is no second list to keep in sync.
{
  "includes": ["native/sources.gypi"],
  "target_defaults": {
    "include_dirs": ["native/include", "cuda/include"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno"],
    "cflags": ["-fPIC"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
  },
  "targets": [
    {
      "target_name": "aiprod_avx2",
      "type": "static_library",
      "sources": ["<@(aiprod_avx2_sources)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma", "-mf16c"]},
      "msvs_settings": {"VCCLCompilerTool": {"EnableEnhancedInstructionSet": 5}}
    },
    {
      "target_name": "aiprod_avx512",
      "type": "static_library",
      "sources": ["<@(aiprod_avx512_sources)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-Wno-maybe-uninitialized"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"]},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
    },
    {
      "target_name": "aiprod_avx512bf16",
      "type": "static_library",
      "sources": ["<@(aiprod_avx512bf16_sources)"],
      "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512bf16", "-Wno-maybe-uninitialized"],
      "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512bf16"]},
      "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
    },
    {
      "target_name": "aiprod",
      "sources": ["<@(aiprod_core_sources)", "<@(aiprod_binding_sources)"],
      "dependencies": ["aiprod_avx2", "aiprod_avx512", "aiprod_avx512bf16"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=9",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "AIPROD_HAVE_AVX2",
        "AIPROD_HAVE_AVX512",
        "AIPROD_HAVE_AVX512BF16",
        "AIPROD_VERSION=\"<!(node -p \"require('./package.json').version\")\""
      ],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
