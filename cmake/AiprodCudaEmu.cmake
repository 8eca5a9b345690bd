# The CUDA execution model emulated on the host (cuda/src/emu) and the CUDA kernels compiled against it, so
# every kernel runs on the CPU in CI without nvcc or a GPU. Built in every configuration, AIPROD_CUDA=off too.
add_library(aiprod_cuda_emu_core OBJECT
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/emu.cc
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/fiber.cc
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/ptx_emu.cc)
target_include_directories(aiprod_cuda_emu_core PUBLIC ${CMAKE_SOURCE_DIR}/cuda/include)
target_compile_options(aiprod_cuda_emu_core PRIVATE -O2 -Wall -Wextra)
set_target_properties(aiprod_cuda_emu_core PROPERTIES CXX_VISIBILITY_PRESET hidden)

# Tests of the emulation itself: barriers, collectives, fragment layouts, cp.async, error reports.
add_executable(aiprod_cuda_emu_tests ${CMAKE_SOURCE_DIR}/cuda/tests/emu_tests.cc)
target_link_libraries(aiprod_cuda_emu_tests PRIVATE aiprod_cuda_emu_core Threads::Threads)
target_compile_options(aiprod_cuda_emu_tests PRIVATE -O2)

# Every kernel source (cuda/src/kernels/*.cu) compiled as C++ for the emulation, through a one-line wrapper
# (the .cu files themselves stay CUDA sources for the nvcc build in the same tree).
file(GLOB AIPROD_CUDA_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cuda/src/kernels/*.cu)
set(AIPROD_CUDA_EMU_WRAPPERS "")
foreach(src ${AIPROD_CUDA_KERNEL_SOURCES})
  get_filename_component(stem ${src} NAME_WE)
  set(wrapper ${CMAKE_BINARY_DIR}/cuda_emu/${stem}.cc)
  file(CONFIGURE OUTPUT ${wrapper} CONTENT "// generated: ${stem}.cu for the host emulation\n#include \"${src}\"\n")
  list(APPEND AIPROD_CUDA_EMU_WRAPPERS ${wrapper})
endforeach()
add_library(aiprod_cuda_emu_kernels OBJECT ${AIPROD_CUDA_EMU_WRAPPERS} ${CMAKE_SOURCE_DIR}/cuda/src/emu/runtime_emu.cc)
target_include_directories(aiprod_cuda_emu_kernels PUBLIC ${CMAKE_SOURCE_DIR}/cuda/include ${CMAKE_SOURCE_DIR}/cuda/src/kernels)
target_compile_options(aiprod_cuda_emu_kernels PRIVATE -O2 -Wall)
set_target_properties(aiprod_cuda_emu_kernels PROPERTIES CXX_VISIBILITY_PRESET hidden)

# libaiprod_cuda_emu: the C API over the emulation (loaded by the addon when AIPROD_CUDA_EMULATE=1).
add_library(aiprod_cuda_emu SHARED ${CMAKE_SOURCE_DIR}/cuda/src/api.cc)
target_link_libraries(aiprod_cuda_emu PRIVATE aiprod_cuda_emu_kernels aiprod_cuda_emu_core Threads::Threads)
set_target_properties(aiprod_cuda_emu PROPERTIES CXX_VISIBILITY_PRESET hidden)

# The kernel tests against the CPU reference, under the emulation.
file(GLOB AIPROD_CUDA_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cuda/tests/*_tests.cc)
list(REMOVE_ITEM AIPROD_CUDA_TEST_SOURCES ${CMAKE_SOURCE_DIR}/cuda/tests/emu_tests.cc)
add_executable(aiprod_cuda_kernel_tests_emu ${CMAKE_SOURCE_DIR}/cuda/tests/harness.cc ${CMAKE_SOURCE_DIR}/cuda/src/api.cc ${AIPROD_CUDA_TEST_SOURCES})
target_compile_definitions(aiprod_cuda_kernel_tests_emu PRIVATE AIPROD_CUDA_EMULATION=1)
target_link_libraries(aiprod_cuda_kernel_tests_emu PRIVATE aiprod_cuda_emu_kernels aiprod_cuda_emu_core aiprod_kernels)
target_compile_options(aiprod_cuda_kernel_tests_emu PRIVATE -O2)

# The GPU kernel bench program, under the emulation: `--smoke` checks the program itself in CI.
add_executable(aiprod_cuda_kernel_bench_emu ${CMAKE_SOURCE_DIR}/cuda/bench/kernel_bench.cc)
target_link_libraries(aiprod_cuda_kernel_bench_emu PRIVATE aiprod_cuda_emu_kernels aiprod_cuda_emu_core Threads::Threads)
