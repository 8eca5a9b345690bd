# Per-file ISA flags: the baseline build targets plain x86-64; only the files of each ISA group get the
# flags for that ISA, and dispatch.cc picks a group at run time from cpuid + xgetbv. Never -march=native.
set(AIPROD_ISA_SOURCES "")
set(AIPROD_ISA_DEFINITIONS "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  if(MSVC)
    set(AIPROD_AVX2_FLAGS /arch:AVX2)
    set(AIPROD_AVX512_FLAGS /arch:AVX512)
    set(AIPROD_AVX512BF16_FLAGS /arch:AVX512)
  else()
    set(AIPROD_AVX2_FLAGS -mavx2 -mfma -mf16c)
    # -Wno-maybe-uninitialized: GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*).
    set(AIPROD_AVX512_FLAGS -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512dq -mavx512vl -Wno-maybe-uninitialized)
    # Its own group: vdpbf16ps is newer than the avx512 path's baseline (F/BW/DQ/VL), so only files that are
    # called behind a cpuid AVX512_BF16 check get this flag.
    set(AIPROD_AVX512BF16_FLAGS -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512bf16 -Wno-maybe-uninitialized)
  endif()
  set_source_files_properties(${AIPROD_AVX2_SOURCES} PROPERTIES COMPILE_OPTIONS "${AIPROD_AVX2_FLAGS}")
  set_source_files_properties(${AIPROD_AVX512_SOURCES} PROPERTIES COMPILE_OPTIONS "${AIPROD_AVX512_FLAGS}")
  set_source_files_properties(${AIPROD_AVX512BF16_SOURCES} PROPERTIES COMPILE_OPTIONS "${AIPROD_AVX512BF16_FLAGS}")
  list(APPEND AIPROD_ISA_SOURCES ${AIPROD_AVX2_SOURCES} ${AIPROD_AVX512_SOURCES} ${AIPROD_AVX512BF16_SOURCES})
  list(APPEND AIPROD_ISA_DEFINITIONS AIPROD_HAVE_AVX2 AIPROD_HAVE_AVX512 AIPROD_HAVE_AVX512BF16)
  message(STATUS "aiprod: CPU paths ref, avx2, avx512 (chosen at run time)")
else()
  message(STATUS "aiprod: CPU path ref only on ${CMAKE_SYSTEM_PROCESSOR}")
endif()
