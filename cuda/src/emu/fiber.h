// Stackful fibers for the CUDA emulation: one per emulated GPU thread. x86-64 SysV uses a hand-written
// context switch (callee-saved registers, MXCSR and the x87 control word; ~10 ns, no system call);
// elsewhere ucontext. Stacks come from mmap with a guard page below, and are reused between blocks.
#ifndef AIPROD_CUDA_EMU_FIBER_H
#define AIPROD_CUDA_EMU_FIBER_H

#include <cstddef>

#if !(defined(__x86_64__) && !defined(_WIN32))
#include <ucontext.h>
#endif

namespace aiprod_emu {

class FiberStack {
 public:
  explicit FiberStack(size_t bytes);
  ~FiberStack();
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;
  char* top() const { return base_ + bytes_; }
  char* bottom() const { return base_; }

 private:
  char* mapping_;
  char* base_;
  size_t bytes_;
  size_t mapped_;
};

// A saved execution context. `prepare` makes it start `entry(arg)` on `stack` when first switched to.
struct Context {
#if defined(__x86_64__) && !defined(_WIN32)
  void* sp = nullptr;
#else
  ucontext_t uc;
#endif
};

void prepare_context(Context* ctx, FiberStack* stack, void (*entry)(void*), void* arg);
// Saves the current context in `from` and resumes `to`.
void switch_context(Context* from, Context* to);

}  // namespace aiprod_emu

#endif
