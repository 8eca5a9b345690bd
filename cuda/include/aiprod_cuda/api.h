/* The CUDA library's whole surface: one versioned table of C function pointers, fetched with dlsym after
 * dlopen. The CPU addon never links against CUDA, so it loads on machines without a driver or toolkit.
 * Two libraries implement it from the same kernel sources: libaiprod_cuda (nvcc, the GPU) and
 * libaiprod_cuda_emu (the host emulation of the CUDA execution model: "device" memory is host memory and
 * every kernel runs under cuda/src/emu; loaded only when AIPROD_CUDA_EMULATE=1, for tests).
 * Every call returns 0 on success, otherwise an error code (the CUDA error code, or AIPROD_CUDA_ERR_*), with
 * a message naming the failed call, the op and its shapes written into err. Ops are asynchronous on the
 * given stream (NULL: the library's default stream); argument errors are reported before anything runs. */
#ifndef AIPROD_CUDA_API_H
#define AIPROD_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIPROD_CUDA_API_VERSION 2

/* Error codes beyond CUDA's own (which are < 10000). */
enum {
  AIPROD_CUDA_ERR_INVALID_ARGUMENT = 10001, /* shapes, dtypes or pointers the op cannot take */
  AIPROD_CUDA_ERR_OUT_OF_MEMORY = 10002,    /* device memory exhausted; the op freed what it held */
  AIPROD_CUDA_ERR_UNSUPPORTED = 10003       /* a valid request this build has no kernel for */
};

typedef struct aiprod_cuda_error {
  int code;
  char message[512];
} aiprod_cuda_error;

typedef struct aiprod_cuda_device_info {
  char name[256];
  size_t total_memory;
  size_t free_memory;
  int cc_major;
  int cc_minor;
  int multiprocessors;
  int emulated; /* 1 for the host emulation */
} aiprod_cuda_device_info;

/* Same numbering as aiprod::DType in native/include/aiprod/dtype.h. */
enum { AIPROD_CUDA_F32 = 0, AIPROD_CUDA_BF16 = 1, AIPROD_CUDA_F16 = 2, AIPROD_CUDA_F8E4M3 = 3 };
enum { AIPROD_CUDA_ADD = 0, AIPROD_CUDA_MUL = 1, AIPROD_CUDA_SUB = 2, AIPROD_CUDA_DIV = 3, AIPROD_CUDA_MAX = 4,
       AIPROD_CUDA_MIN = 5 };

typedef void* aiprod_cuda_stream;
typedef void* aiprod_cuda_event;

/* ---- op arguments: plain structs, device pointers, row-major, shapes in elements ---------------------- */

/* y[m,n] = residual + gate * act(x[m,k] . w[n,k]^T + bias)   (PyTorch Linear weight layout)
 * x: f32 or bf16; w: f32, bf16 or f8e4m3 (times w_scale); bias/gate/residual: f32 or bf16 or NULL;
 * residual may alias y. Numerics as the CPU: f32 weights: f32 products; bf16/f8 weights: bf16 x bf16
 * products (x rounded to bf16), f32 accumulation, on tensor cores. */
typedef struct aiprod_cuda_linear_args {
  const void* x; int x_dtype;
  size_t m, k, n;
  const void* w; int w_dtype; float w_scale;
  const void* bias; int bias_dtype;
  int activation; /* 0: none, 1: gelu_tanh */
  const void* gate; int gate_dtype;
  const void* residual; int residual_dtype;
  void* y; int y_dtype;
} aiprod_cuda_linear_args;

/* c[b] = a[b] . (b_transposed ? b[b]^T : b[b]), f32 (or bf16 inputs with f32 accumulation); strides in
 * elements between batch items (0: shared). */
typedef struct aiprod_cuda_matmul_args {
  const void* a; const void* b; void* c; int dtype;
  size_t batch, m, k, n;
  size_t stride_a, stride_b, stride_c;
  int b_transposed;
} aiprod_cuda_matmul_args;

/* Flash attention forward: q [B,H,Nq,D], k/v [B,Hkv,Nk,D], out [B,H,Nq,D], all of dtype (f32 or bf16);
 * H a multiple of Hkv (grouped-query); bias: optional additive f32 [Nq,Nk] rows at b*bias_stride_b +
 * h*bias_stride_h; causal and sliding window as aiprod::attention_visible. Never an Nq x Nk buffer. */
typedef struct aiprod_cuda_attention_args {
  const void* q; const void* k; const void* v; void* out; int dtype;
  size_t batch, heads, kv_heads, nq, nk, d;
  float scale;
  const float* bias; size_t bias_stride_b, bias_stride_h;
  int causal;
  size_t window;
} aiprod_cuda_attention_args;

/* conv3d (conv2d/conv1d are conv3d with unit leading dims): x [B,Cin,T,H,W], w [Cout,Cin,K0,K1,K2],
 * out [B,Cout,out_size...]; padding per dim front/back with mode 0 zeros, 1 reflect, 2 replicate (LTX-2's
 * causal time padding is pad_front = K0-1 replicate). dtype f32 or bf16 for x, w, out; bias f32 or NULL.
 * allow_bf16: f32 data may use bf16 tensor-core products (f32 accumulation). */
typedef struct aiprod_cuda_conv3d_args {
  const void* x; int dtype;
  size_t batch, cin, in[3];
  const void* w;
  size_t cout, k[3];
  const float* bias;
  size_t stride[3];
  size_t pad_front[3], pad_back[3];
  int mode[3];
  void* out;
  size_t out_size[3];
  int allow_bf16;
} aiprod_cuda_conv3d_args;

/* PyTorch ConvTranspose1d: x [B,Cin,L], w [Cin,Cout,K], out [B,Cout,out_len]; f32. */
typedef struct aiprod_cuda_conv_transpose1d_args {
  const void* x; size_t batch, cin, len;
  const void* w; size_t cout, k;
  const float* bias;
  size_t stride, padding, output_padding, dilation;
  void* out; size_t out_len;
} aiprod_cuda_conv_transpose1d_args;

/* Row-wise norms and statistics over the last dim d (rows x d), f32 or bf16 in and out, math in f32:
 * kind 0 rms_norm (weight optional), 1 layer_norm (no affine), 2 softmax, 3 row mean (out [rows]),
 * 4 row std (out [rows], unbiased flag). pixel_norm over the channel dim of [outer, c, inner]: kind 5.
 * group_norm [batch, channels, inner] with optional weight/bias per channel: kind 6.
 * Fused norm + AdaLN modulation on rows x d (one pass: the normalized row stays in f32 on chip, y is rounded
 * once): kind 7 layer_norm_modulate y = layer_norm(x)*(1 + scale) + shift (no affine, no weight);
 * kind 8 rms_norm_modulate y = rms_norm(x, weight optional)*(1 + scale) + shift. scale and shift are required
 * tables of d-element rows (f32 or bf16), row r of x reading table row (r / div) % count as in
 * aiprod_cuda_modulate_args (div, count >= 1); y may alias x, not the tables.
 * The fields after `unbiased` were appended to the end of the struct within API version 2 and are read only
 * for kinds 7 and 8, so callers built against the shorter struct keep working for kinds 0-6. */
typedef struct aiprod_cuda_norm_args {
  int kind;
  const void* x; int x_dtype;
  const void* weight; int weight_dtype;
  const void* bias; int bias_dtype;
  void* y; int y_dtype;
  size_t rows, d;                         /* kinds 0-4 */
  size_t outer, channels, inner, groups;  /* kinds 5, 6 (batch = outer for group_norm) */
  float eps;
  int unbiased;
  const void* scale; int scale_dtype; size_t scale_div, scale_count;  /* kinds 7, 8 */
  const void* shift; int shift_dtype; size_t shift_div, shift_count;  /* kinds 7, 8 */
} aiprod_cuda_norm_args;

/* Per-token modulation, rows x d, tables indexed by row r at ((r / div) % count):
 * kind 0 ada_ln: y = x * (1 + scale) + shift; kind 1 add_mul: y = residual + x * g (a = residual, b = x,
 * c = g). f32 or bf16 each. */
typedef struct aiprod_cuda_modulate_args {
  int kind;
  const void* a; int a_dtype;
  const void* b; int b_dtype; size_t b_div, b_count;
  const void* c; int c_dtype; size_t c_div, c_count;
  void* y; int y_dtype;
  size_t rows, d;
} aiprod_cuda_modulate_args;

/* Elementwise: kind 0 gelu_tanh, 1 gelu_erf, 2 silu, 3 leaky_relu(param), 4 affine (x*param + param2),
 * 5 lerp (a + (b-a)*param with b = x2), 6 sigmoid, 7 tanh. f32 or bf16. */
typedef struct aiprod_cuda_unary_args {
  int kind;
  const void* x; int x_dtype;
  const void* x2; int x2_dtype;
  void* y; int y_dtype;
  size_t n;
  float param, param2;
} aiprod_cuda_unary_args;

/* numpy-broadcast binary op over up to 8 dims: out shape `shape`, a/b strides in elements (0 broadcast). */
typedef struct aiprod_cuda_binary_args {
  int op;
  const void* a; int a_dtype; int64_t a_strides[8];
  const void* b; int b_dtype; int64_t b_strides[8];
  void* out; int out_dtype;
  int ndim; int64_t shape[8];
} aiprod_cuda_binary_args;

/* RoPE on x [B,H,T,d]: interleaved or split (LTX-2 SPLIT / rotate_half), tables layout 0 [B,T,H,d/2],
 * 1 [T,H,d/2], 2 [T,d/2] (as aiprod::RopeTable). f32 or bf16. */
typedef struct aiprod_cuda_rope_args {
  int interleaved;
  const void* x; int x_dtype;
  const void* cos; const void* sin; int table_dtype; int table_layout;
  void* y; int y_dtype;
  size_t batch, heads, tokens, d;
} aiprod_cuda_rope_args;

/* Strided copy with optional cast, up to 8 dims: permute, narrow, concat pieces, contiguous(), casts
 * (every dtype pair; to f8e4m3 saturates as the CPU). out is written at out_strides. */
typedef struct aiprod_cuda_copy_args {
  const void* x; int x_dtype; int64_t x_strides[8];
  void* out; int out_dtype; int64_t out_strides[8];
  int ndim; int64_t shape[8];
} aiprod_cuda_copy_args;

/* Layout ops on [B,C,D,H,W] (any 1/2/4-byte elements): kind 0 space_to_depth3d, 1 depth_to_space3d,
 * factors p1,p2,p3 as aiprod::space_to_depth3d. */
typedef struct aiprod_cuda_layout_args {
  int kind;
  const void* x; void* out; size_t elem_size;
  size_t b, c, d, h, w;
  size_t p1, p2, p3;
} aiprod_cuda_layout_args;

typedef struct aiprod_cuda_api {
  int api_version;
  int runtime_version;        /* CUDA runtime the library was built with, e.g. 13000; 0 for the emulation */
  const char* architectures;  /* e.g. "80;90a", or "host-emulation" */
  const char* kernels;        /* comma-separated list of the kernels compiled in */
  int (*driver_version)(int* version, aiprod_cuda_error* err);
  int (*device_count)(int* count, aiprod_cuda_error* err); /* 0 devices: not an error */
  int (*device_info)(int device, aiprod_cuda_device_info* info, aiprod_cuda_error* err);
  int (*set_device)(int device, aiprod_cuda_error* err);

  /* Memory: a caching allocator on stream-ordered pools. malloc may return cached blocks; free returns the
   * block to its stream's pool; trim releases cached memory to the device. OOM is
   * AIPROD_CUDA_ERR_OUT_OF_MEMORY after the cache was trimmed and the allocation retried once. */
  int (*malloc)(size_t nbytes, aiprod_cuda_stream stream, void** ptr, aiprod_cuda_error* err);
  int (*free)(void* ptr, aiprod_cuda_stream stream, aiprod_cuda_error* err);
  int (*memory_stats)(size_t* in_use, size_t* cached, size_t* peak, aiprod_cuda_error* err);
  int (*reset_peak)(aiprod_cuda_error* err);
  int (*trim)(aiprod_cuda_error* err);
  int (*host_alloc_pinned)(size_t nbytes, void** ptr, aiprod_cuda_error* err);
  int (*host_free_pinned)(void* ptr, aiprod_cuda_error* err);
  /* kind: 0 host->device, 1 device->host, 2 device->device; async on stream (sync when stream NULL and
   * the host side is pageable). */
  int (*memcpy)(void* dst, const void* src, size_t nbytes, int kind, aiprod_cuda_stream stream, aiprod_cuda_error* err);
  int (*memset)(void* dst, int value, size_t nbytes, aiprod_cuda_stream stream, aiprod_cuda_error* err);

  int (*stream_create)(aiprod_cuda_stream* stream, aiprod_cuda_error* err);
  int (*stream_destroy)(aiprod_cuda_stream stream, aiprod_cuda_error* err);
  int (*stream_synchronize)(aiprod_cuda_stream stream, aiprod_cuda_error* err);
  int (*event_create)(aiprod_cuda_event* event, aiprod_cuda_error* err);
  int (*event_destroy)(aiprod_cuda_event event, aiprod_cuda_error* err);
  int (*event_record)(aiprod_cuda_event event, aiprod_cuda_stream stream, aiprod_cuda_error* err);
  int (*event_synchronize)(aiprod_cuda_event event, aiprod_cuda_error* err);
  int (*stream_wait_event)(aiprod_cuda_stream stream, aiprod_cuda_event event, aiprod_cuda_error* err);
  int (*event_elapsed_ms)(aiprod_cuda_event start, aiprod_cuda_event end, float* ms, aiprod_cuda_error* err);

  /* Ops. */
  int (*linear)(const aiprod_cuda_linear_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*matmul)(const aiprod_cuda_matmul_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*attention)(const aiprod_cuda_attention_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*conv3d)(const aiprod_cuda_conv3d_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*conv_transpose1d)(const aiprod_cuda_conv_transpose1d_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*norm)(const aiprod_cuda_norm_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*modulate)(const aiprod_cuda_modulate_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*unary)(const aiprod_cuda_unary_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*binary)(const aiprod_cuda_binary_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*rope)(const aiprod_cuda_rope_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*copy)(const aiprod_cuda_copy_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
  int (*layout)(const aiprod_cuda_layout_args* a, aiprod_cuda_stream s, aiprod_cuda_error* err);
} aiprod_cuda_api;

/* NULL when the library does not offer this version. */
const aiprod_cuda_api* aiprod_cuda_get_api(int version);

#ifdef __cplusplus
}
#endif

#endif
