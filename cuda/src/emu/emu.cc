// The CUDA execution model on the host: see aiprod_cuda/emu/emu.h for what is modelled and checked.
#include "aiprod_cuda/emu/emu.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "aiprod_cuda/emu/ptx_emu.h"
#include "fiber.h"

namespace aiprod_emu {
namespace {

constexpr size_t kMaxCollectiveBytes = 64;  // per lane, in and out (an mma's operands are 40 bytes)
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr size_t kMaxDynamicSmem = 227 * 1024;  // sm_90's opt-in limit per block

constexpr size_t kMaxWarpgroupBytes = 640;  // per thread, in and out (a wgmma: 568 bytes in)

enum class State { runnable, at_barrier, at_warp, at_warpgroup, done };

struct AsyncCopy {
  void* dst;
  const void* src;
  unsigned bytes, src_bytes;
  void perform() const {
    if (src_bytes) std::memcpy(dst, src, src_bytes);
    if (src_bytes < bytes) std::memset(static_cast<char*>(dst) + src_bytes, 0, bytes - src_bytes);
  }
};

struct AccWrite {
  float* dst;
  int count;
  float values[256];
};

struct Thread {
  Context ctx;
  std::deque<AsyncCopy> copies;  // cp.async copies in flight, oldest first
  std::deque<size_t> groups;     // sizes of the committed groups, oldest first
  std::deque<AccWrite> acc;      // wgmma accumulator writes in flight, oldest first
  std::deque<size_t> acc_groups; // sizes of the committed wgmma groups, oldest first
  bool wg_fenced = false;        // wgmma.fence since the last wgmma.wait_group
  uint3_ tid{0, 0, 0};
  unsigned warp = 0, lane = 0;
  State state = State::runnable;
};

struct Warp {
  unsigned arrived = 0, mask = 0, lanes = 0;  // lanes: which lanes of this warp exist
  const char* kind = nullptr;
  CombineFn combine = nullptr;
  const void* ctx = nullptr;
  size_t in_bytes = 0, out_bytes = 0;
  alignas(16) unsigned char in[32 * kMaxCollectiveBytes];
  alignas(16) unsigned char out[32 * kMaxCollectiveBytes];
};

struct Warpgroup {
  unsigned arrived = 0;  // how many of its 128 threads wait at `kind`
  const char* kind = nullptr;
  CombineFn combine = nullptr;
  const void* ctx = nullptr;
  size_t in_bytes = 0, out_bytes = 0;
  std::vector<unsigned char> in = std::vector<unsigned char>(128 * kMaxWarpgroupBytes);
  std::vector<unsigned char> out = std::vector<unsigned char>(128 * kMaxWarpgroupBytes);
};

struct Block {
  const char* name = "";
  uint3_ block_idx{0, 0, 0}, block_dim{1, 1, 1}, grid_dim{1, 1, 1};
  std::vector<Thread> threads;
  std::vector<Warp> warps;
  std::vector<Warpgroup> warpgroups;
  size_t smem_bytes = 0;
  unsigned at_barrier = 0, done = 0;
  Context scheduler;
  bool failed = false;
  std::string error;
  unsigned char* smem = nullptr;
  void (*body)(const void*) = nullptr;
  const void* body_ctx = nullptr;
  Stats stats;
};

thread_local Block* t_block = nullptr;
thread_local Thread* t_thread = nullptr;
thread_local Options t_options;
thread_local Stats t_last_stats;

std::string coords(const Block& b, const Thread& t) {
  return "block (" + std::to_string(b.block_idx.x) + "," + std::to_string(b.block_idx.y) + "," +
         std::to_string(b.block_idx.z) + ") thread (" + std::to_string(t.tid.x) + "," + std::to_string(t.tid.y) + "," +
         std::to_string(t.tid.z) + ")";
}

void yield() {
  Block* b = t_block;
  Thread* t = t_thread;
  b->stats.switches++;
  switch_context(&t->ctx, &b->scheduler);
}

// Ends the calling fiber for good: the scheduler never resumes it.
[[noreturn]] void abandon() {
  Block* b = t_block;
  switch_context(&t_thread->ctx, &b->scheduler);
  std::abort();
}

void record_failure(Block* b, const std::string& message) {
  if (!b->failed) {
    b->failed = true;
    b->error = message;
  }
}

void thread_entry(void* arg) {
  Thread* t = static_cast<Thread*>(arg);
  Block* b = t_block;
  try {
    b->body(b->body_ctx);
  } catch (const std::exception& e) {
    record_failure(b, coords(*b, *t) + ": " + e.what());
    abandon();
  }
  for (const AsyncCopy& c : t->copies) c.perform();  // copies complete even if never waited for
  t->copies.clear();
  t->groups.clear();
  if (!t->acc.empty()) {
    record_failure(b, coords(*b, *t) + " exited with " + std::to_string(t->acc.size()) +
                          " wgmma.mma_async in flight (no wgmma.wait_group retired them)");
    abandon();
  }
  t->state = State::done;
  b->done++;
  if (b->at_barrier > 0) {
    record_failure(b, coords(*b, *t) + " exited while " + std::to_string(b->at_barrier) +
                          " threads of its block wait at __syncthreads (a barrier not reached by every thread)");
  }
  Warp& w = b->warps[t->warp];
  if (w.arrived && (w.mask >> t->lane & 1u)) {
    record_failure(b, coords(*b, *t) + " exited while its warp waits for it at " + std::string(w.kind));
  }
  const unsigned tid_linear = t->warp * 32 + t->lane;
  if (tid_linear / 128 < b->warpgroups.size() && b->warpgroups[tid_linear / 128].arrived) {
    record_failure(b, coords(*b, *t) + " exited while its warpgroup waits for it at " +
                          std::string(b->warpgroups[tid_linear / 128].kind));
  }
  abandon();
}

struct StackPool {
  std::vector<std::unique_ptr<FiberStack>> stacks;
  std::vector<unsigned char> smem;
  FiberStack* get(size_t i) {
    static const size_t bytes = [] {
      const char* e = std::getenv("AIPROD_EMU_STACK_KB");
      const long kb = e ? std::atol(e) : 256;
      return size_t(kb > 16 ? kb : 16) * 1024;
    }();
    while (stacks.size() <= i) stacks.push_back(std::make_unique<FiberStack>(bytes));
    return stacks[i].get();
  }
};
thread_local StackPool t_pool;

std::string describe_deadlock(const Block& b) {
  unsigned at_barrier = 0, at_warp = 0, done = 0;
  std::string warps;
  for (const Thread& t : b.threads) {
    if (t.state == State::at_barrier) at_barrier++;
    if (t.state == State::done) done++;
    if (t.state == State::at_warp || t.state == State::at_warpgroup) at_warp++;
  }
  for (size_t i = 0; i < b.warpgroups.size(); ++i) {
    if (b.warpgroups[i].arrived) {
      warps += " warpgroup " + std::to_string(i) + " waits at " + b.warpgroups[i].kind + " (" +
               std::to_string(b.warpgroups[i].arrived) + " of 128 threads arrived);";
    }
  }
  for (size_t i = 0; i < b.warps.size(); ++i) {
    if (b.warps[i].arrived) {
      warps += " warp " + std::to_string(i) + " waits at " + b.warps[i].kind + " (arrived lanes 0x";
      char hex[16];
      std::snprintf(hex, sizeof hex, "%08x", b.warps[i].arrived);
      warps += std::string(hex) + " of mask 0x";
      std::snprintf(hex, sizeof hex, "%08x", b.warps[i].mask);
      warps += std::string(hex) + ");";
    }
  }
  return "deadlock in block (" + std::to_string(b.block_idx.x) + "," + std::to_string(b.block_idx.y) + "," +
         std::to_string(b.block_idx.z) + "): " + std::to_string(at_barrier) + " threads at __syncthreads, " +
         std::to_string(at_warp) + " at warp collectives, " + std::to_string(done) + " exited;" + warps;
}

void run_block(Block& b, const Options& opt, uint64_t block_linear) {
  const unsigned n = unsigned(b.threads.size());
  for (unsigned i = 0; i < n; ++i) {
    Thread& t = b.threads[i];
    t.state = State::runnable;
    t.copies.clear();
    t.groups.clear();
    t.acc.clear();
    t.acc_groups.clear();
    t.wg_fenced = false;
    prepare_context(&t.ctx, t_pool.get(i), &thread_entry, &t);
  }
  for (Warp& w : b.warps) w.arrived = 0;
  for (Warpgroup& w : b.warpgroups) w.arrived = 0;
  b.at_barrier = b.done = 0;
  std::vector<unsigned> order(n);
  for (unsigned i = 0; i < n; ++i) order[i] = opt.order == Order::reverse ? n - 1 - i : i;
  std::mt19937_64 rng(opt.seed * 0x9E3779B97F4A7C15ull + block_linear);
  t_block = &b;
  while (b.done < n && !b.failed) {
    if (opt.order == Order::shuffled) std::shuffle(order.begin(), order.end(), rng);
    bool progressed = false;
    for (unsigned i : order) {
      Thread& t = b.threads[i];
      if (t.state != State::runnable) continue;
      progressed = true;
      t_thread = &t;
      switch_context(&b.scheduler, &t.ctx);
      t_thread = nullptr;
      if (b.failed) break;
    }
    if (!progressed && !b.failed) record_failure(&b, describe_deadlock(b));
  }
  t_block = nullptr;
}

}  // namespace

const uint3_& thread_idx() { return t_thread->tid; }
const uint3_& block_idx() { return t_block->block_idx; }
const uint3_& block_dim() { return t_block->block_dim; }
const uint3_& grid_dim() { return t_block->grid_dim; }
unsigned lane_id() { return t_thread->lane; }
void* dynamic_shared_memory() { return t_block->smem; }
size_t dynamic_shared_memory_bytes() { return t_block->smem_bytes; }

void fail(const std::string& message) {
  if (!t_block || !t_thread) throw std::runtime_error(message);
  record_failure(t_block, coords(*t_block, *t_thread) + ": " + message);
  abandon();
}

void syncthreads() {
  Block* b = t_block;
  if (b->done > 0) {
    fail("__syncthreads reached after " + std::to_string(b->done) +
         " threads of the block exited (a barrier not reached by every thread)");
  }
  b->stats.barriers++;
  if (++b->at_barrier == b->threads.size()) {
    b->at_barrier = 0;
    for (Thread& t : b->threads) {
      if (t.state == State::at_barrier) t.state = State::runnable;
    }
    return;  // the last thread to arrive goes on at once
  }
  t_thread->state = State::at_barrier;
  yield();
}

void ballot_combine(const void* ins, void* outs, unsigned mask, const void*) {
  const auto* in = static_cast<const VoteIn*>(ins);
  unsigned bits = 0;
  for (int lane = 0; lane < 32; ++lane) {
    if ((mask >> lane & 1u) && in[lane].pred) bits |= 1u << lane;
  }
  auto* out = static_cast<unsigned*>(outs);
  for (int lane = 0; lane < 32; ++lane) out[lane] = bits;
}

void warp_collective(const char* kind, unsigned mask, const void* in, size_t in_bytes, void* out, size_t out_bytes,
                     CombineFn combine, const void* ctx) {
  Block* b = t_block;
  Thread* t = t_thread;
  if (!b || !t) throw std::runtime_error(std::string(kind) + " called outside a kernel launch");
  if (in_bytes > kMaxCollectiveBytes || out_bytes > kMaxCollectiveBytes) {
    fail(std::string(kind) + ": operands larger than the emulation's collective buffer");
  }
  Warp& w = b->warps[t->warp];
  if (!(mask >> t->lane & 1u)) fail(std::string(kind) + ": the calling lane is not in its mask");
  if (mask & ~w.lanes) {
    fail(std::string(kind) + ": the mask names lanes that do not exist in this warp (block size not a multiple of 32?)");
  }
  if (w.arrived == 0) {
    w.kind = kind;
    w.mask = mask;
    w.combine = combine;
    w.ctx = ctx;
    w.in_bytes = in_bytes;
    w.out_bytes = out_bytes;
    std::memset(w.in, 0, 32 * in_bytes);
  } else if (std::strcmp(w.kind, kind) != 0 || w.mask != mask || w.ctx != ctx) {
    fail("lane " + std::to_string(t->lane) + " reached " + kind + " while other lanes of its warp wait at " + w.kind +
         " (divergent warp collective, or masks that differ)");
  }
  for (unsigned lane = 0; lane < 32; ++lane) {
    if ((mask >> lane & 1u) && b->threads[t->warp * 32 + lane].state == State::done) {
      fail(std::string(kind) + ": lane " + std::to_string(lane) + " of the mask has exited");
    }
  }
  if (in_bytes) std::memcpy(w.in + t->lane * in_bytes, in, in_bytes);
  w.arrived |= 1u << t->lane;
  b->stats.collectives++;
  if (w.arrived == mask) {
    if (combine) combine(w.in, w.out, mask, ctx);
    w.arrived = 0;
    for (unsigned lane = 0; lane < 32; ++lane) {
      Thread& other = b->threads[t->warp * 32 + (lane < w.lanes ? lane : 0)];
      if ((mask >> lane & 1u) && other.state == State::at_warp) other.state = State::runnable;
    }
  } else {
    t->state = State::at_warp;
    yield();
  }
  if (out_bytes) std::memcpy(out, w.out + t->lane * out_bytes, out_bytes);
}

void warpgroup_collective(const char* kind, const void* in, size_t in_bytes, void* out, size_t out_bytes,
                          CombineFn combine, const void* ctx) {
  Block* b = t_block;
  Thread* t = t_thread;
  if (!b || !t) throw std::runtime_error(std::string(kind) + " called outside a kernel launch");
  if (in_bytes > kMaxWarpgroupBytes || out_bytes > kMaxWarpgroupBytes) {
    fail(std::string(kind) + ": operands larger than the emulation's warpgroup collective buffer");
  }
  const unsigned linear = t->warp * 32 + t->lane, group = linear / 128, first = group * 128;
  if (first + 128 > b->threads.size()) {
    fail(std::string(kind) + ": warpgroup " + std::to_string(group) +
         " has fewer than 128 threads (the block size must be a multiple of 128)");
  }
  Warpgroup& w = b->warpgroups[group];
  if (w.arrived == 0) {
    w.kind = kind;
    w.combine = combine;
    w.ctx = ctx;
    w.in_bytes = in_bytes;
    w.out_bytes = out_bytes;
    std::memset(w.in.data(), 0, 128 * in_bytes);
  } else if (std::strcmp(w.kind, kind) != 0 || w.ctx != ctx || w.in_bytes != in_bytes) {
    fail("thread " + std::to_string(linear) + " reached " + kind + " while other threads of its warpgroup wait at " +
         w.kind + " (divergent warpgroup collective)");
  }
  for (unsigned i = first; i < first + 128; ++i) {
    if (b->threads[i].state == State::done) {
      fail(std::string(kind) + ": thread " + std::to_string(i) + " of the warpgroup has exited");
    }
  }
  if (in_bytes) std::memcpy(w.in.data() + (linear - first) * in_bytes, in, in_bytes);
  b->stats.collectives++;
  if (++w.arrived == 128) {
    if (combine) combine(w.in.data(), w.out.data(), 0, ctx);
    w.arrived = 0;
    for (unsigned i = first; i < first + 128; ++i) {
      if (b->threads[i].state == State::at_warpgroup) b->threads[i].state = State::runnable;
    }
  } else {
    t->state = State::at_warpgroup;
    yield();
  }
  if (out_bytes) std::memcpy(out, w.out.data() + (linear - first) * out_bytes, out_bytes);
}

void wgmma_enqueue(float* d, const float* values, int count) {
  Thread* t = t_thread;
  if (count > 256) fail("wgmma: more than 256 accumulator registers");
  t->acc.emplace_back();
  AccWrite& w = t->acc.back();
  w.dst = d;
  w.count = count;
  std::memcpy(w.values, values, sizeof(float) * size_t(count));
}

const float* wgmma_pending(const float* d) {
  Thread* t = t_thread;
  for (auto it = t->acc.rbegin(); it != t->acc.rend(); ++it) {
    if (it->dst == d) return it->values;
  }
  return nullptr;
}

bool wgmma_fenced() { return t_thread->wg_fenced; }

void wgmma_fence() {
  if (!t_thread) throw std::runtime_error("wgmma.fence outside a kernel launch");
  t_thread->wg_fenced = true;
}

void wgmma_commit() {
  Thread* t = t_thread;
  size_t committed = 0;
  for (size_t g : t->acc_groups) committed += g;
  t->acc_groups.push_back(t->acc.size() - committed);
}

void wgmma_wait(int n) {
  Thread* t = t_thread;
  while (t->acc_groups.size() > size_t(n)) {
    for (size_t i = 0; i < t->acc_groups.front(); ++i) {
      const AccWrite& w = t->acc.front();
      std::memcpy(w.dst, w.values, sizeof(float) * size_t(w.count));
      t->acc.pop_front();
    }
    t->acc_groups.pop_front();
  }
  t->wg_fenced = false;
}

void cp_async(void* dst, const void* src, unsigned bytes, unsigned src_bytes) {
  if (!t_thread) throw std::runtime_error("cp.async outside a kernel launch");
  if (reinterpret_cast<uintptr_t>(dst) % bytes || reinterpret_cast<uintptr_t>(src) % bytes) {
    fail("cp.async of " + std::to_string(bytes) + " bytes with an address not aligned to " + std::to_string(bytes));
  }
  if (src_bytes > bytes) fail("cp.async: src-size larger than cp-size");
  t_thread->copies.push_back(AsyncCopy{dst, src, bytes, src_bytes});
}

void cp_async_commit() {
  Thread* t = t_thread;
  size_t committed = 0;
  for (size_t g : t->groups) committed += g;
  t->groups.push_back(t->copies.size() - committed);
}

void cp_async_wait(int n) {
  Thread* t = t_thread;
  while (t->groups.size() > size_t(n)) {
    for (size_t i = 0; i < t->groups.front(); ++i) {
      t->copies.front().perform();
      t->copies.pop_front();
    }
    t->groups.pop_front();
  }
}

void set_options(const Options& options) { t_options = options; }
Options options() { return t_options; }
Stats last_stats() { return t_last_stats; }

void launch(const char* name, dim3 grid, dim3 block, size_t dynamic_smem, void (*body)(const void*), const void* ctx) {
  const uint64_t nthreads = uint64_t(block.x) * block.y * block.z;
  auto bad = [&](const std::string& why) {
    throw std::runtime_error(std::string("kernel ") + name + ": invalid launch configuration: " + why);
  };
  if (nthreads == 0 || nthreads > kMaxThreadsPerBlock) bad(std::to_string(nthreads) + " threads per block (1-1024)");
  if (block.z > 64) bad("blockDim.z > 64");
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) bad("an empty grid");
  if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) bad("grid dimensions beyond the device limits");
  if (dynamic_smem > kMaxDynamicSmem) bad(std::to_string(dynamic_smem) + " bytes of dynamic shared memory (max 232448)");
  const uint64_t nblocks = uint64_t(grid.x) * grid.y * grid.z;
  const Options opt = t_options;
  int host_threads = opt.host_threads;
  if (host_threads <= 0) {
    const char* e = std::getenv("AIPROD_EMU_THREADS");
    host_threads = e ? std::atoi(e) : int(std::thread::hardware_concurrency());
  }
  host_threads = int(std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(std::max(host_threads, 1)), nblocks)));

  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string first_error;
  Stats total;
  auto worker = [&] {
    Block b;
    b.name = name;
    b.grid_dim = {grid.x, grid.y, grid.z};
    b.block_dim = {block.x, block.y, block.z};
    b.body = body;
    b.body_ctx = ctx;
    b.threads.resize(nthreads);
    b.warps.resize((nthreads + 31) / 32);
    b.warpgroups.resize((nthreads + 127) / 128);
    b.smem_bytes = dynamic_smem;
    for (unsigned z = 0, i = 0; z < block.z; ++z)
      for (unsigned y = 0; y < block.y; ++y)
        for (unsigned x = 0; x < block.x; ++x, ++i) {
          b.threads[i].tid = {x, y, z};
          b.threads[i].warp = i / 32;
          b.threads[i].lane = i % 32;
          b.warps[i / 32].lanes |= 1u << (i % 32);
        }
    t_pool.smem.resize(std::max<size_t>(dynamic_smem, 16) + 64);
    b.smem = t_pool.smem.data() + (64 - reinterpret_cast<uintptr_t>(t_pool.smem.data()) % 64) % 64;
    for (;;) {
      const uint64_t id = next.fetch_add(1);
      if (id >= nblocks || stop.load()) break;
      b.block_idx = {unsigned(id % grid.x), unsigned(id / grid.x % grid.y), unsigned(id / (uint64_t(grid.x) * grid.y))};
      std::memset(b.smem, 0xff, dynamic_smem);  // poison: NaN in every float format
      b.failed = false;
      run_block(b, opt, id);
      b.stats.blocks++;
      if (b.failed) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.empty()) first_error = b.error;
        stop = true;
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    total.blocks += b.stats.blocks;
    total.barriers += b.stats.barriers;
    total.collectives += b.stats.collectives;
    total.switches += b.stats.switches;
  };
  if (host_threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int i = 0; i < host_threads; ++i) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  total.threads = total.blocks * nthreads;
  t_last_stats = total;
  if (!first_error.empty()) throw std::runtime_error(std::string("kernel ") + name + ": " + first_error);
}

}  // namespace aiprod_emu
