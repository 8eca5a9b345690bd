// Lazy loading of libaiprod_cuda: dlopen on first use, never at addon load, so the CPU addon works on any
// machine. The status says exactly how far it got: file missing, failed to load (with dlerror), loaded
// without a device (with the CUDA reason), or loaded with devices.
#pragma once
#include <string>
#include <vector>

#include "aiprod_cuda/api.h"

namespace aiprod {

struct CudaDevice {
  std::string name;
  size_t total_memory = 0;
  size_t free_memory = 0;
  int cc_major = 0, cc_minor = 0, multiprocessors = 0;
};

struct CudaStatus {
  std::string library_path;
  bool built = false;   // the library file exists
  bool loaded = false;  // dlopen + API version check succeeded
  std::string error;    // why not loaded, or why no device
  int runtime_version = 0, driver_version = 0;
  std::string architectures;
  std::vector<CudaDevice> devices;
};

// Loads (once per process; later calls with another path report the first load) and describes the library.
CudaStatus cuda_probe(const std::string& library_path);

// The loaded API table, or nullptr if cuda_probe has not loaded it.
const aiprod_cuda_api* cuda_api();

}  // namespace aiprod
