#include "aiprod/cuda_loader.h"

#include <mutex>
#include <sys/stat.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace aiprod {
namespace {

std::mutex g_mutex;
const aiprod_cuda_api* g_api = nullptr;
std::string g_loaded_path;
std::string g_load_error;
std::string g_device_error;  // why no device is usable (empty once device 0 is selected)
bool g_device_ready = false;
bool g_tried = false;

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Called with g_mutex held.
void load(const std::string& path) {
  g_tried = true;
  g_loaded_path = path;
#if defined(_WIN32)
  HMODULE h = LoadLibraryA(path.c_str());
  if (!h) {
    g_load_error = "LoadLibrary failed with error " + std::to_string(GetLastError());
    return;
  }
  auto get = reinterpret_cast<const aiprod_cuda_api* (*)(int)>(GetProcAddress(h, "aiprod_cuda_get_api"));
#else
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    g_load_error = std::string("dlopen failed: ") + (e ? e : "unknown error");
    return;
  }
  auto get = reinterpret_cast<const aiprod_cuda_api* (*)(int)>(dlsym(h, "aiprod_cuda_get_api"));
#endif
  if (!get) {
    g_load_error = "the library has no aiprod_cuda_get_api symbol (not an aiprod CUDA library?)";
    return;
  }
  g_api = get(AIPROD_CUDA_API_VERSION);
  if (!g_api) {
    g_load_error = "the library does not offer API version " + std::to_string(AIPROD_CUDA_API_VERSION) +
                   " (built by another aiprod version; rebuild with npm run build:native)";
  }
}

}  // namespace

CudaStatus cuda_probe(const std::string& library_path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  CudaStatus s;
  s.library_path = g_tried ? g_loaded_path : library_path;
  s.built = file_exists(s.library_path);
  if (!s.built) {
    s.error = "the CUDA library was not built (" + s.library_path + " does not exist)";
    g_device_error = s.error;
    return s;
  }
  if (!g_tried) load(library_path);
  if (!g_api) {
    s.error = g_load_error;
    g_device_error = s.error;
    return s;
  }
  s.loaded = true;
  s.runtime_version = g_api->runtime_version;
  s.architectures = g_api->architectures;
  s.kernels = g_api->kernels ? g_api->kernels : "";
  aiprod_cuda_error err{};
  g_api->driver_version(&s.driver_version, &err);
  int count = 0;
  err = aiprod_cuda_error{};
  if (g_api->device_count(&count, &err) != 0 || count == 0) {
    s.error = err.message[0] ? err.message : "no CUDA device found";
    g_device_error = s.error;
    return s;
  }
  for (int d = 0; d < count; ++d) {
    aiprod_cuda_device_info info{};
    err = aiprod_cuda_error{};
    if (g_api->device_info(d, &info, &err) != 0) {
      s.error = err.message;
      continue;
    }
    CudaDevice dev;
    dev.name = info.name;
    dev.total_memory = info.total_memory;
    dev.free_memory = info.free_memory;
    dev.cc_major = info.cc_major;
    dev.cc_minor = info.cc_minor;
    dev.multiprocessors = info.multiprocessors;
    dev.emulated = info.emulated != 0;
    s.emulated = s.emulated || dev.emulated;
    s.devices.push_back(dev);
  }
  if (!g_device_ready && !s.devices.empty()) {
    err = aiprod_cuda_error{};
    if (g_api->set_device(0, &err) == 0) {
      g_device_ready = true;
      g_device_error.clear();
    } else {
      g_device_error = err.message;
      s.error = err.message;
    }
  }
  return s;
}

const aiprod_cuda_api* cuda_api() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_api;
}

const aiprod_cuda_api* cuda_device_api(std::string* why) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_api && g_device_ready) return g_api;
  if (!g_device_error.empty()) *why = g_device_error;
  else if (!g_tried) *why = "the CUDA library has not been loaded (query cudaInfo() first)";
  else *why = "no CUDA device found";
  return nullptr;
}

}  // namespace aiprod
