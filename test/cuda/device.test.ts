// Device tensors under the CUDA host emulation (AIPROD_CUDA_EMULATE=1 loads libaiprod_cuda_emu, whose one
// "device" is host memory behind the same C API as the GPU library): copies to and from the device, device
// memory accounting, wrong-device errors, out-of-memory that frees what the op held, and what `aiprod info` and
// `aiprod generate --device cuda` say with and without a device.
process.env.AIPROD_CUDA_EMULATE = "1"; // before anything loads the CUDA library (it is loaded once per process)

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { loadBinding } from "../../src/native/loadBinding.js";
import { cudaInfo, cudaMemoryStats, cudaResetPeak, type DType, linear, permute, rmsNorm, Tensor } from "../../src/index.js";
import { rng } from "../helpers/numberFormats.js";

const root = join(import.meta.dirname, "..", "..");
const DTYPES: DType[] = ["f32", "bf16", "f16", "f8e4m3"];

/** Random raw storage for dtype: every bit pattern is possible (NaN payloads, infinities, subnormals, -0). */
function randomBits(dtype: DType, n: number, seed: number): Float32Array | Uint16Array | Uint8Array {
  const r = rng(seed);
  if (dtype === "f32") return new Float32Array(Uint32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32)).buffer);
  if (dtype === "f8e4m3") return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  return Uint16Array.from({ length: n }, () => Math.floor(r() * 65536));
}

function bytesOf(a: Float32Array | Uint16Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

t.test("the emulated CUDA library is loaded and reports one emulated device and its kernels", async (t) => {
  const c = cudaInfo();
  t.equal(c.state, "ready", c.reason ?? "");
  t.ok(c.emulated, "emulated");
  t.match(c.libraryPath, /libaiprod_cuda_emu\.so$/);
  t.equal(c.devices.length, 1);
  t.equal(c.devices[0]!.name, "CUDA emulation on the host CPU");
  t.ok(c.kernels.includes("copy"), `kernels: ${c.kernels.join(",")}`);
  t.ok(c.memory, "allocator statistics");
});

t.test("to('cuda') and back is bit-exact for every dtype, odd sizes and empty tensors included", async (t) => {
  const before = cudaMemoryStats().inUse;
  for (const [i, dtype] of DTYPES.entries()) {
    for (const shape of [[0], [1], [7, 13], [3, 5, 17]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const bits = randomBits(dtype, n, 100 + i * 10 + shape.length);
      using host = Tensor.empty(shape, dtype);
      host.write(bits);
      using dev = host.to("cuda");
      t.equal(dev.device, "cuda");
      t.equal(dev.dtype, dtype);
      t.same(dev.shape, shape);
      t.same(bytesOf(dev.read()), bytesOf(bits), `${dtype}[${shape}] read() of the device copy`);
      using back = dev.to("cpu");
      t.equal(back.device, "cpu");
      t.same(bytesOf(back.read()), bytesOf(bits), `${dtype}[${shape}] round trip`);
      // write() into a device tensor copies host to device.
      const other = randomBits(dtype, n, 900 + i);
      dev.write(other);
      t.same(bytesOf(dev.read()), bytesOf(other), `${dtype}[${shape}] write() then read() on the device`);
    }
  }
  t.equal(cudaMemoryStats().inUse, before, "every device tensor was given back");
});

t.test("Tensor.zeros/empty on cuda: fresh device memory; the peak statistic resets", async (t) => {
  const before = cudaMemoryStats().inUse;
  cudaResetPeak();
  for (const dtype of DTYPES) {
    using z = Tensor.zeros([3, 7], dtype, "cuda");
    t.equal(z.device, "cuda");
    t.ok(z.read().every((v) => v === 0), `${dtype} zeros`);
    using e = Tensor.empty([0, 5], dtype, "cuda");
    t.same(e.shape, [0, 5]);
  }
  t.ok(cudaMemoryStats().peak >= before + 3 * 7 * 4, "the peak saw the f32 tensor");
  t.equal(cudaMemoryStats().inUse, before);
  t.throws(() => Tensor.zeros([2], "f64" as never, "cuda"), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /unknown dtype 'f64'/ });
  t.throws(() => Tensor.zeros([-1], "f32", "cuda"), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /shape\[0\] is -1/ });
});

t.test("to() on the same device is a view: disposing it leaves the original intact", async (t) => {
  using host = Tensor.from([1, 2, 3], [3]);
  using dev = host.to("cuda");
  const inUse = cudaMemoryStats().inUse;
  const view = dev.to("cuda");
  t.equal(cudaMemoryStats().inUse, inUse, "no new device memory");
  view.dispose();
  t.same(Array.from(dev.read() as Float32Array), [1, 2, 3]);
  t.throws(() => host.to("gpu" as never), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /device must be "cpu" or "cuda"/ });
});

t.test("disposing a cuda tensor returns its device memory at once; views keep it until the last goes", async (t) => {
  const before = cudaMemoryStats().inUse;
  using host = Tensor.zeros([64, 64]);
  const dev = host.to("cuda");
  const held = cudaMemoryStats().inUse - before;
  t.ok(held >= 64 * 64 * 4, `the tensor holds ${held} bytes of device memory`);
  const view = dev.to("cuda");
  dev.dispose();
  t.equal(cudaMemoryStats().inUse - before, held, "a view keeps the memory");
  view.dispose();
  t.equal(cudaMemoryStats().inUse, before, "the last view gave it back");
  t.ok(dev.disposed);
  t.throws(() => dev.read(), { code: "ERR_AIPROD_DISPOSED" });
});

t.test("garbage collection gives back the device memory of cuda tensors that were never disposed", async (t) => {
  const script = join(root, "test", "fixtures", "cudaGc.ts");
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", script], {
    cwd: root, encoding: "utf8", env: { ...process.env, AIPROD_CUDA_EMULATE: "1" },
  });
  t.equal(r.status, 0, r.stderr);
  const { before, held, after } = JSON.parse(r.stdout) as { before: number; held: number; after: number };
  t.ok(held - before >= 4 * 256 * 256 * 4, `4 tensors held ${held - before} bytes`);
  t.equal(after, before, "all of it back after GC");
});

t.test("a CPU op refuses a cuda tensor, naming the op, the argument and the fix (one check in TensorWrap::From)", async (t) => {
  using x = Tensor.from([1, 2, 3, 4], [2, 2]).to("cuda");
  using w = Tensor.from([1, 0, 0, 1], [2, 2]);
  const b = loadBinding();
  // Straight to the CPU entry points, below the TypeScript dispatch: the native check is the last line.
  for (const [op, call] of [
    ["linear", () => b.linear(w.native, x.native)],
    ["add", () => b.add(x.native, x.native)],
    ["permute", () => b.permute(x.native, [1, 0])],
    ["rms_norm", () => b.rmsNorm(x.native, null, 1e-6)],
  ] as const) {
    t.throws(call, {
      code: "ERR_AIPROD_WRONG_DEVICE",
      message: new RegExp(`^aiprod\\.${op}: argument '\\w+' is on cuda \\(f32\\[2,2\\]\\), but this op runs on cpu .*\\.to\\("cpu"\\)`),
    }, op);
  }
  // And a CUDA entry point refuses a cpu tensor.
  t.throws(() => b.cudaAdd(x.native, w.native), { code: "ERR_AIPROD_WRONG_DEVICE", message: /argument 'b' is on cpu .*\.to\("cuda"\)/ });
  // The TypeScript ops: tensors on two devices are one error naming both arguments.
  t.throws(() => linear(x, w), { code: "ERR_AIPROD_WRONG_DEVICE", message: /^aiprod\.linear: argument 'weight' is on cpu but 'x' is on cuda.*\.to\("cuda"\)/ });
  t.throws(() => x.add(w), { code: "ERR_AIPROD_WRONG_DEVICE", message: /aiprod\.add: argument 'b' is on cpu but 'a' is on cuda/ });
  t.throws(() => rmsNorm(w, { weight: Tensor.from([1, 1], [2]).to("cuda") }), { code: "ERR_AIPROD_WRONG_DEVICE", message: /'weight' is on cuda but 'x' is on cpu/ });
  // A CPU op run from user code (an options getter) inside a CUDA op's argument checks still takes cpu tensors.
  using one = Tensor.from([1], [1]);
  using wd = w.to("cuda");
  let inner = -1;
  const opts = { get activation() { using two = one.add(one); inner = two.toFloat32()[0]!; return "none" as const; } };
  using y = Tensor.fromNative(b.cudaLinear(x.native, wd.native, opts));
  t.equal(inner, 2, "the CPU add inside the getter ran");
  t.same(Array.from(y.toFloat32()), [1, 2, 3, 4]);
  // Reshape views work on either device.
  using p = permute(x, [1, 0]);
  t.equal(p.device, "cuda");
});

t.test("out of device memory is ERR_AIPROD_OUT_OF_MEMORY, and the op gives back what it held", async (t) => {
  // A separate process: the emulation reads its memory budget once (AIPROD_EMU_DEVICE_MEMORY_MB=1 here).
  const script = join(root, "test", "fixtures", "cudaOom.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script], {
    cwd: root, encoding: "utf8", env: { ...process.env, AIPROD_CUDA_EMULATE: "1", AIPROD_EMU_DEVICE_MEMORY_MB: "1" },
  });
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { what: string; code: string; message: string; before: number; after: number });
  t.ok(lines.length >= 3, r.stdout);
  for (const l of lines) {
    t.equal(l.code, "ERR_AIPROD_OUT_OF_MEMORY", `${l.what}: ${l.message}`);
    t.equal(l.after, l.before, `${l.what}: device memory in use is back to ${l.before} bytes`);
    t.match(l.message, /(f32|bf16)\[\d+,\d+/, `${l.what}: the message names the shapes`);
  }
});

function cli(args: string[], env: Record<string, string | undefined>) {
  const full = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  return spawnSync(process.execPath, ["--import=tsx", join(root, "src", "cli", "run.ts"), ...args], { cwd: root, encoding: "utf8", env: full });
}

t.test("aiprod info --json lists the CUDA kernels built and whether the library is the emulation", async (t) => {
  const r = cli(["info", "--json"], { AIPROD_CUDA_EMULATE: "1" });
  t.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { cuda: { state: string; emulated: boolean; kernels: string[]; devices: { name: string }[]; memory?: { inUse: number } } };
  t.equal(info.cuda.state, "ready");
  t.equal(info.cuda.emulated, true);
  t.same(info.cuda.kernels, cudaInfo().kernels, "the library's kernel list");
  t.ok(info.cuda.kernels.includes("copy"));
  t.equal(info.cuda.devices[0]!.name, "CUDA emulation on the host CPU");
  t.type(info.cuda.memory?.inUse, "number");
  const text = cli(["info"], { AIPROD_CUDA_EMULATE: "1" });
  t.match(text.stdout, /kernels: .*copy/);
  t.match(text.stdout, /host emulation/);
});

t.test("aiprod generate --device cuda without a device says there is no CUDA device and why", async (t) => {
  // No AIPROD_CUDA_EMULATE: the GPU library, which finds no device (or was not built) on this machine.
  const r = cli(["generate", "a cat", "--device", "cuda", "--out", join(root, "build", "never.mp4")], { AIPROD_CUDA_EMULATE: undefined });
  t.equal(r.status, 1);
  t.match(r.stderr, /aiprod\.createEngine: there is no CUDA device: \S/, r.stderr);
  t.notMatch(r.stderr, /backend|pipelines run on the CPU|BUILT-IN/, "refused before any model work");
});

t.test("createEngine: cuda without a device is ERR_AIPROD_NO_DEVICE with the reason; auto never picks the emulation", async (t) => {
  const script = join(root, "test", "fixtures", "cudaEngineDevice.ts");
  const run = (emulate: boolean) => {
    const env: Record<string, string | undefined> = { ...process.env, AIPROD_CUDA_EMULATE: emulate ? "1" : undefined };
    if (!emulate) delete env.AIPROD_CUDA_EMULATE;
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, encoding: "utf8", env });
    t.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { auto: string; cuda: { device?: string; code?: string; message?: string } };
  };
  // This machine has no GPU: the GPU library finds no device (or was not built).
  const none = run(false);
  t.equal(none.auto, "cpu");
  t.equal(none.cuda.code, "ERR_AIPROD_NO_DEVICE");
  t.match(none.cuda.message, /^aiprod\.createEngine: there is no CUDA device: \S.*use device "cpu" or "auto"$/);
  // The emulation is a device for explicit use (tests), never for auto.
  const emu = run(true);
  t.equal(emu.auto, "cpu");
  t.equal(emu.cuda.device, "cuda");
});
