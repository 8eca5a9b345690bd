"""The PyTorch peer of `npm run bench:gpu`: the same shapes as cuda/bench/kernel_bench.cc, timed the same way
(CUDA events around each call, 2 warm-up calls, median of 10), printed as one JSON object per case.
torch.nn.functional.scaled_dot_product_attention (flash/cuDNN backends as PyTorch chooses), F.conv3d (cuDNN),
torch.matmul (cuBLAS). Exits 77 with a JSON "skipped" line when torch or a CUDA device is missing."""
import json
import sys


def main():
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means no peer
        print(json.dumps({"skipped": f"PyTorch not importable: {e}"}))
        return 77
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "PyTorch sees no CUDA device", "torch": torch.__version__}))
        return 77
    dev = torch.device("cuda")
    meta = {"torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(0)}
    print(json.dumps({"meta": meta}))

    def median_ms(fn, runs=10):
        for _ in range(2):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(runs):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        times.sort()
        return times[len(times) // 2], runs

    def report(name, ms_runs, flop):
        ms, runs = ms_runs
        print(json.dumps({"case": name, "ms": ms, "runs": runs, "flop": flop, "tflops": flop / (ms * 1e-3) / 1e12}), flush=True)

    with torch.no_grad():
        for d in (128, 64):
            n, h = 16384, 32
            q, k, v = (torch.randn(1, h, n, d, device=dev, dtype=torch.bfloat16) for _ in range(3))
            report(f"attention_bf16_h{h}_n{n}_d{d}", median_ms(lambda: F.scaled_dot_product_attention(q, k, v)),
                   4.0 * n * n * d * h)
        c, t, hw = 512, 9, 64
        x = torch.randn(1, c, t, hw, hw, device=dev, dtype=torch.bfloat16)
        w = torch.randn(c, c, 3, 3, 3, device=dev, dtype=torch.bfloat16)
        report(f"conv3d_bf16_k3_c{c}_{t}x{hw}x{hw}", median_ms(lambda: F.conv3d(x, w, padding=1)), 2.0 * c * c * 27 * t * hw * hw)
        m = 8192
        a = torch.randn(m, m, device=dev, dtype=torch.bfloat16)
        b = torch.randn(m, m, device=dev, dtype=torch.bfloat16)
        report(f"gemm_bf16_{m}", median_ms(lambda: torch.matmul(a, b.t())), 2.0 * m * m * m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
