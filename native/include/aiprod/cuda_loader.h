// Lazy loading of libaiprod_cuda: dlopen on first use, never at addon load, so the CPU addon works on any
// machine. The status says exactly how far it got: file missing, failed to load (with dlerror), loaded
// without a device (with the CUDA reason), or loaded with devices.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "aiprod_cuda/api.h"

namespace aiprod {

struct CudaDevice {
  std::string name;
  size_t total_memory = 0;
  size_t free_memory = 0;
  int cc_major = 0, cc_minor = 0, multiprocessors = 0;
  bool emulated = false;  // the host emulation (libaiprod_cuda_emu)
};

struct CudaStatus {
  std::string library_path;
  bool built = false;   // the library file exists
  bool loaded = false;  // dlopen + API version check succeeded
  std::string error;    // why not loaded, or why no device
  int runtime_version = 0, driver_version = 0;
  std::string architectures;
  std::string kernels;  // comma-separated op kernels compiled into the library
  bool emulated = false;  // the library is libaiprod_cuda_emu (host emulation)
  std::vector<CudaDevice> devices;
};

// A failed CUDA library call: code is the library's (AIPROD_CUDA_ERR_* or a CUDA error), what() its message.
class CudaError : public std::runtime_error {
 public:
  CudaError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
};

// Loads (once per process; later calls with another path report the first load) and describes the library.
CudaStatus cuda_probe(const std::string& library_path);

// The loaded API table, or nullptr if cuda_probe has not loaded it.
const aiprod_cuda_api* cuda_api();

// The loaded API table with device 0 selected, or nullptr with *why saying why there is no usable device
// (library not probed, not built, failed to load, or loaded without a device).
const aiprod_cuda_api* cuda_device_api(std::string* why);

}  // namespace aiprod
