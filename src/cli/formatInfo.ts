import type { EngineInfo } from "../runtime/info.js";

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** MiB below 1 GiB (allocator statistics are often small). */
function size(bytes: number): string {
  return bytes >= 2 ** 30 ? gib(bytes) : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** `aiprod info` as text for people. */
export function formatInfo(info: EngineInfo): string {
  const unusable = Object.entries(info.isaUnavailable).map(([isa, why]) => `    ${isa}: ${why}`);
  const cuda = info.cuda;
  const cudaLines = [`  CUDA library: ${cuda.state}${cuda.emulated ? " (host emulation, AIPROD_CUDA_EMULATE=1)" : ""}${cuda.reason ? ` (${cuda.reason})` : ""}`];
  if (cuda.state !== "not built") cudaLines.push(`    path: ${cuda.libraryPath}`);
  if (cuda.emulated) cudaLines.push("    emulated: kernels run on the host CPU under the CUDA emulation (for tests; slow)");
  else if (cuda.runtimeVersion) cudaLines.push(`    CUDA runtime ${cuda.runtimeVersion}, architectures ${cuda.architectures?.join(", ")}`);
  if (cuda.state === "built, no device" || cuda.state === "ready") {
    cudaLines.push(`    kernels: ${cuda.kernels.length ? cuda.kernels.join(", ") : "none"}`);
  }
  if (cuda.driverVersion) cudaLines.push(`    driver supports CUDA ${cuda.driverVersion}`);
  for (const [i, d] of cuda.devices.entries()) {
    cudaLines.push(`    device ${i}: ${d.name}, ${gib(d.totalMemory)} (${gib(d.freeMemory)} free), compute ${d.computeCapability}, ${d.multiprocessors} SMs`);
  }
  if (cuda.memory) {
    cudaLines.push(`    memory: ${size(cuda.memory.inUse)} in use, ${size(cuda.memory.cached)} cached, peak ${size(cuda.memory.peak)}`);
  }
  return [
    `aiprod ${info.version}`,
    `  CPU: ${info.cpu.brand || info.cpu.vendor || "unknown"}`,
    `  kernel path: ${info.isa} (available: ${info.isaAvailable.join(", ")}; compiled: ${info.isaCompiled.join(", ")})`,
    ...(unusable.length ? ["  unavailable paths:", ...unusable] : []),
    `  AVX-512 BF16: ${info.cpu.features.avx512_bf16 ? "yes" : "no"}`,
    `  threads: ${info.threads}`,
    ...cudaLines,
    `  native build: ${info.build.builder}${info.build.builtAt ? ` at ${info.build.builtAt}` : ""}`,
  ].join("\n");
}
