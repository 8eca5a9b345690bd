# The CUDA execution model emulated on the host (cuda/src/emu) and the CUDA kernels compiled against it, so
# every kernel runs on the CPU in CI without nvcc or a GPU. Built in every configuration, AIPROD_CUDA=off too.
add_library(aiprod_cuda_emu_core STATIC
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/emu.cc
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/fiber.cc
  ${CMAKE_SOURCE_DIR}/cuda/src/emu/ptx_emu.cc)
target_include_directories(aiprod_cuda_emu_core PUBLIC ${CMAKE_SOURCE_DIR}/cuda/include)
target_link_libraries(aiprod_cuda_emu_core PUBLIC Threads::Threads)
target_compile_options(aiprod_cuda_emu_core PRIVATE -O2 -Wall -Wextra)

# Tests of the emulation itself: barriers, collectives, fragment layouts, cp.async, error reports.
add_executable(aiprod_cuda_emu_tests ${CMAKE_SOURCE_DIR}/cuda/tests/emu_tests.cc)
target_link_libraries(aiprod_cuda_emu_tests PRIVATE aiprod_cuda_emu_core)
target_compile_options(aiprod_cuda_emu_tests PRIVATE -O2)
