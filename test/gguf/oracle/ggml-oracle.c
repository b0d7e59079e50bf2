/*
 * ggml's own quantizers and dequantizers as a command, for generating golden vectors: dlopens
 * libggml-base.so (node-llama-cpp's prebuilt CPU build in .peer/) and runs one row function.
 *   ggml-oracle LIB q TYPE N < in.f32 > out.bin     quantize_row_<type>_ref (fp32->f16/bf16 rows)
 *   ggml-oracle LIB d TYPE N < in.bin > out.f32     dequantize_row_<type>
 * Built and run only by gen-golden.ts; the tests read the golden file it writes.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*qfn)(const float *, void *, int64_t);
typedef void (*dfn)(const void *, float *, int64_t);

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: ggml-oracle LIB q|d TYPE N\n"); return 2; }
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
  const char *mode = argv[2], *type = argv[3];
  int64_t n = atoll(argv[4]);
  char name[128];
  size_t cap = 64 << 20;
  unsigned char *in = malloc(cap), *out = malloc(cap);
  size_t got = fread(in, 1, cap, stdin);
  size_t outBytes = 0;
  if (!strcmp(mode, "q")) {
    if (got != (size_t)n * 4) { fprintf(stderr, "expected %lld floats\n", (long long)n); return 1; }
    if (!strcmp(type, "f16")) snprintf(name, sizeof name, "ggml_fp32_to_fp16_row");
    else if (!strcmp(type, "bf16")) snprintf(name, sizeof name, "ggml_fp32_to_bf16_row_ref");
    else snprintf(name, sizeof name, "quantize_row_%s_ref", type);
    qfn f = (qfn)dlsym(lib, name);
    if (!f) { fprintf(stderr, "no %s\n", name); return 1; }
    memset(out, 0, cap);
    f((const float *)in, out, n);
    /* size from the caller's knowledge: write the buffer up to the last block (passed via env) */
    outBytes = (size_t)atoll(getenv("ORACLE_OUT_BYTES"));
  } else {
    if (!strcmp(type, "f16")) snprintf(name, sizeof name, "ggml_fp16_to_fp32_row");
    else if (!strcmp(type, "bf16")) snprintf(name, sizeof name, "ggml_bf16_to_fp32_row");
    else snprintf(name, sizeof name, "dequantize_row_%s", type);
    dfn f = (dfn)dlsym(lib, name);
    if (!f) { fprintf(stderr, "no %s\n", name); return 1; }
    f(in, (float *)out, n);
    outBytes = (size_t)n * 4;
  }
  fwrite(out, 1, outBytes, stdout);
  return 0;
}
