// Loads build/Release/aiprod.node once per thread. When it fails, the error says what was tried, what went wrong
// and how to fix it (the sharp approach), instead of a bare dlopen message.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { NativeBinding } from "./bindingTypes.js";
import { AiprodError } from "./errors.js";
import { packageRoot } from "./packageRoot.js";

let binding: NativeBinding | undefined;

export function addonPath(): string {
  return join(packageRoot(), "build", "Release", "aiprod.node");
}

/** Whether AIPROD_CUDA_EMULATE=1 asks for the host emulation of the CUDA library (tests, CI). */
export function cudaEmulationRequested(): boolean {
  return process.env.AIPROD_CUDA_EMULATE === "1";
}

/**
 * The CUDA library the addon loads (once per process): libaiprod_cuda (the GPU build), or with
 * AIPROD_CUDA_EMULATE=1 libaiprod_cuda_emu, the same kernels under a host emulation of CUDA whose one
 * "device" is host memory (slow; for tests).
 */
export function cudaLibraryPath(): string {
  const win = process.platform === "win32";
  const name = cudaEmulationRequested() ? (win ? "aiprod_cuda_emu.dll" : "libaiprod_cuda_emu.so") : (win ? "aiprod_cuda.dll" : "libaiprod_cuda.so");
  return join(packageRoot(), "build", "Release", name);
}

function diagnose(path: string, cause: unknown): AiprodError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: string } | undefined)?.code;
  if (code === "ERR_AIPROD_ISA") return new AiprodError("ERR_AIPROD_ISA", message, { cause });
  const lines = [`aiprod: could not load the native addon.`, `  tried: ${path}`];
  if (!existsSync(path)) {
    lines.push("  cause: the file does not exist: the native build did not run or failed.",
      "  fix:   run `npm rebuild aiprod` (needs cmake or node-gyp, and a C++17 compiler); its log is build/native-build.log.");
  } else {
    lines.push(`  cause: ${message}`);
    if (code === "ERR_DLOPEN_DISABLED") {
      lines.push("  fix:   Node.js runs with --no-addons; aiprod needs native addons.");
    } else if (/GLIBCXX|CXXABI|GLIBC_/.test(message)) {
      lines.push("  fix:   the addon was built with a newer C++ toolchain than this system's libstdc++; rebuild it here with `npm rebuild aiprod`.");
    } else if (/NODE_MODULE_VERSION|napi|Module did not self-register/i.test(message)) {
      lines.push("  fix:   the addon was built for another Node.js; rebuild it with `npm rebuild aiprod`.");
    } else {
      lines.push("  fix:   rebuild with `npm rebuild aiprod`; if it persists, report this message.");
    }
  }
  return new AiprodError("ERR_AIPROD_ADDON_LOAD", lines.join("\n"), { cause });
}

/** The native addon; loaded on first use (per thread: the addon is context-aware). */
export function loadBinding(): NativeBinding {
  if (binding) return binding;
  const path = addonPath();
  try {
    binding = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (cause) {
    throw diagnose(path, cause);
  }
  return binding;
}
