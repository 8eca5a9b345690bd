// What this build and machine offer: kernel path, threads, CUDA library and devices.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NativeCpuInfo, NativeCudaDevice, NativeCudaMemoryStats, NativeIsa } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { cudaLibraryPath, loadBinding } from "../native/loadBinding.js";
import { packageRoot } from "../native/packageRoot.js";

export type CudaState = "not built" | "failed to load" | "built, no device" | "ready";

export interface CudaInfo {
  state: CudaState;
  /** Why it is not ready, in words. */
  reason?: string;
  libraryPath: string;
  runtimeVersion?: string;
  driverVersion?: string;
  architectures?: string[];
  /** The op kernels compiled into the library (empty when it did not load). */
  kernels: string[];
  /** The library is libaiprod_cuda_emu (AIPROD_CUDA_EMULATE=1): CUDA's execution model emulated on the host CPU. */
  emulated: boolean;
  devices: NativeCudaDevice[];
  /** The CUDA allocator's bytes in use, cached and peak (state "ready" only). */
  memory?: NativeCudaMemoryStats;
}

export interface EngineInfo {
  version: string;
  isa: NativeIsa;
  isaAvailable: NativeIsa[];
  isaCompiled: NativeIsa[];
  isaUnavailable: Partial<Record<NativeIsa, string>>;
  threads: number;
  cpu: NativeCpuInfo;
  cuda: CudaInfo;
  build: { builder: string; builtAt?: string };
}

interface NativeStatusFile {
  builder?: string;
  builtAt?: string;
  cuda?: { mode?: string; built?: boolean; reason?: string };
}

function readBuildStatus(): NativeStatusFile {
  const file = join(packageRoot(), "build", "native-status.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as NativeStatusFile) : {};
}

function cudaVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** Loads the CUDA library if it was built (once per process) and says what it found. */
export function cudaInfo(): CudaInfo {
  const binding = loadBinding();
  const status = binding.cudaProbe(cudaLibraryPath());
  const base = {
    libraryPath: status.libraryPath,
    devices: status.devices,
    kernels: status.loaded && status.kernels ? status.kernels.split(",") : [],
    emulated: status.loaded && status.emulated,
  };
  if (!status.built) {
    const reason = readBuildStatus().cuda?.reason;
    return { ...base, state: "not built", reason: reason ? `not built: ${reason}` : status.error };
  }
  if (!status.loaded) return { ...base, state: "failed to load", reason: status.error };
  const loaded = {
    ...base,
    runtimeVersion: cudaVersion(status.runtimeVersion),
    architectures: status.emulated ? [status.architectures] : status.architectures.split(";").map((a) => `sm_${a}`),
    ...(status.driverVersion ? { driverVersion: cudaVersion(status.driverVersion) } : {}),
  };
  if (status.devices.length === 0) {
    const reason = status.driverVersion === 0 ? "no NVIDIA driver is installed" : (status.error ?? "no CUDA device found");
    return { ...loaded, state: "built, no device", reason };
  }
  return { ...loaded, state: "ready", memory: binding.cudaMemoryStats() };
}

export function getInfo(): EngineInfo {
  const native = loadBinding().info();
  const build = readBuildStatus();
  return {
    version: native.version,
    isa: native.isa,
    isaAvailable: native.isaAvailable,
    isaCompiled: native.isaCompiled,
    isaUnavailable: native.isaUnavailable,
    threads: native.threads,
    cpu: native.cpu,
    cuda: cudaInfo(),
    build: { builder: build.builder ?? "unknown", ...(build.builtAt ? { builtAt: build.builtAt } : {}) },
  };
}

/**
 * Switches the CPU kernel path for the whole process (every worker thread too). For tests and benchmarks;
 * the default is the best path this CPU supports, or AIPROD_ISA when set.
 */
export function setIsa(isa: NativeIsa): void {
  if (!["ref", "avx2", "avx512"].includes(isa)) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.setIsa: unknown ISA path '${String(isa)}'; expected one of ref, avx2, avx512`);
  }
  loadBinding().setIsa(isa);
}
