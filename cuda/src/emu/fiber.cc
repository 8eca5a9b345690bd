#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <stdexcept>

namespace aiprod_emu {

FiberStack::FiberStack(size_t bytes) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  bytes_ = (bytes + page - 1) / page * page;
  mapped_ = bytes_ + page;
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("CUDA emulation: could not map a fiber stack");
  mapping_ = static_cast<char*>(p);
  mprotect(mapping_, page, PROT_NONE);  // guard page: a stack overflow faults instead of corrupting memory
  base_ = mapping_ + page;
}

FiberStack::~FiberStack() { munmap(mapping_, mapped_); }

#if defined(__x86_64__) && !defined(_WIN32)

extern "C" void aiprod_emu_switch(void** save_sp, void* new_sp);
extern "C" void aiprod_emu_trampoline();

// Saved frame, from the saved stack pointer up: MXCSR + x87 control word, r15, r14, r13, r12, rbx, rbp,
// return address. A new fiber "returns" into the trampoline with r12 = argument, r13 = entry.
asm(R"(
  .text
  .globl aiprod_emu_switch
  .type aiprod_emu_switch,@function
aiprod_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size aiprod_emu_switch,.-aiprod_emu_switch

  .globl aiprod_emu_trampoline
  .type aiprod_emu_trampoline,@function
aiprod_emu_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size aiprod_emu_trampoline,.-aiprod_emu_trampoline
  .section .note.GNU-stack,"",@progbits
  .text
)");

void prepare_context(Context* ctx, FiberStack* stack, void (*entry)(void*), void* arg) {
  auto top = reinterpret_cast<uintptr_t>(stack->top()) & ~uintptr_t(15);
  const uintptr_t a = top - 16;  // rsp after the trampoline's "return": 16-byte aligned, as a call expects
  auto slot = [](uintptr_t addr) { return reinterpret_cast<uint64_t*>(addr); };
  *slot(a - 8) = reinterpret_cast<uint64_t>(&aiprod_emu_trampoline);
  *slot(a - 16) = 0;                                  // rbp
  *slot(a - 24) = 0;                                  // rbx
  *slot(a - 32) = reinterpret_cast<uint64_t>(arg);    // r12
  *slot(a - 40) = reinterpret_cast<uint64_t>(entry);  // r13
  *slot(a - 48) = 0;                                  // r14
  *slot(a - 56) = 0;                                  // r15
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  auto* ctl = reinterpret_cast<unsigned char*>(a - 64);
  __builtin_memcpy(ctl, &mxcsr, 4);
  __builtin_memcpy(ctl + 4, &fpucw, 2);
  ctx->sp = reinterpret_cast<void*>(a - 64);
}

void switch_context(Context* from, Context* to) { aiprod_emu_switch(&from->sp, to->sp); }

#else

void prepare_context(Context* ctx, FiberStack* stack, void (*entry)(void*), void* arg) {
  getcontext(&ctx->uc);
  ctx->uc.uc_stack.ss_sp = stack->bottom();
  ctx->uc.uc_stack.ss_size = size_t(stack->top() - stack->bottom());
  ctx->uc.uc_link = nullptr;
  // makecontext passes int arguments: split the pointer.
  const auto bits = reinterpret_cast<uintptr_t>(arg);
  makecontext(&ctx->uc, reinterpret_cast<void (*)()>(+[](unsigned lo, unsigned hi, unsigned elo, unsigned ehi) {
                auto e = reinterpret_cast<void (*)(void*)>(uintptr_t(elo) | uintptr_t(ehi) << 32);
                e(reinterpret_cast<void*>(uintptr_t(lo) | uintptr_t(hi) << 32));
              }),
              4, unsigned(bits), unsigned(uint64_t(bits) >> 32), unsigned(reinterpret_cast<uintptr_t>(entry)),
              unsigned(uint64_t(reinterpret_cast<uintptr_t>(entry)) >> 32));
}

void switch_context(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }

#endif

}  // namespace aiprod_emu
