// Per-environment state: the addon is context-aware, so each worker_thread that loads it gets its own copy.
#pragma once
#include <napi.h>

namespace aiprod {

struct AddonData {
  Napi::FunctionReference tensor_constructor;
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace aiprod
