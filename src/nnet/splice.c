/* Frame gathering layers, no parameters: output frame t of utterance b is the
 * concatenation of input frames t*f + o_j (j = 0..n-1), each clamped into the
 * utterance's valid frames [0, len[b]-1] (so edges repeat the first/last frame).
 *   splice context=-5:5  (or offsets=-2,0,2): f = 1, o = the offsets; out dim n*D.
 *   subsample factor=3 [stack=3]: low-frame-rate CTC; f = factor, o_j = j for
 *     j < stack (default stack = factor: every input frame is seen once);
 *     output frames = ceil(frames / factor).
 * Linear in x, so R{y} = gather(R{x}), R{dx} = scatter(R{dy}); backward scatters dy
 * (adding, as clamped edges gather one input frame more than once).
 * ia[0] = f, ia[1] = n, ia[2..] = offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "nnet/layer.h"

#define MAX_OFFSETS (NNET_LAYER_INTS - 2)

static bool set_offsets(NnetLayer *l, int factor, int n, const int *off, char *err, size_t errlen) {
  if (n < 1 || n > MAX_OFFSETS) {
    snprintf(err, errlen, "%s: %d frames gathered, must be 1..%d", l->kind->name, n, MAX_OFFSETS);
    return false;
  }
  l->ia[0] = factor;
  l->ia[1] = n;
  for (int j = 0; j < n; j++) l->ia[2 + j] = off[j];
  l->out_dim = n * l->in_dim;
  l->num_params = 0;
  return true;
}

/* "a:b" (a range) or "a,b,c" (a list) into off; count or -1. */
static int parse_offsets(const char *s, int *off) {
  int a, b, n = 0;
  char tail;
  if (sscanf(s, "%d:%d%c", &a, &b, &tail) == 2) {
    if (b < a || b - a + 1 > MAX_OFFSETS) return -1;
    for (int o = a; o <= b; o++) off[n++] = o;
    return n;
  }
  char buf[96];
  snprintf(buf, sizeof(buf), "%s", s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == MAX_OFFSETS || !parse_int(tok, &off[n])) return -1;
    if (n > 0 && off[n] <= off[n - 1]) return -1;
    n++;
  }
  return n;
}

static bool splice_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  const char *ctx = nnet_arg_str(a, "context"), *offs = nnet_arg_str(a, "offsets");
  if (!ctx == !offs) {
    snprintf(err, errlen, "splice needs one of context=a:b or offsets=a,b,c");
    return false;
  }
  int off[MAX_OFFSETS];
  int n = parse_offsets(ctx ? ctx : offs, off);
  if (n < 1) {
    snprintf(err, errlen, "splice: bad %s '%s' (a:b with a <= b, or increasing a,b,c)",
             ctx ? "context" : "offsets", ctx ? ctx : offs);
    return false;
  }
  return set_offsets(l, 1, n, off, err, errlen);
}

static bool subsample_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  int factor = 0, stack = -1;
  if (!nnet_arg_int(a, "factor", &factor, err, errlen) || !nnet_arg_int(a, "stack", &stack, err, errlen))
    return false;
  if (stack < 0) stack = factor;
  if (factor < 1 || stack < 1) {
    snprintf(err, errlen, "subsample needs factor= >= 1 (and stack= >= 1)");
    return false;
  }
  int off[MAX_OFFSETS];
  for (int j = 0; j < stack && j < MAX_OFFSETS; j++) off[j] = j;
  return set_offsets(l, factor, stack, off, err, errlen);
}

static int subsample_out_frames(const NnetLayer *l, int n) { return (n + l->ia[0] - 1) / l->ia[0]; }

/* y[t] = concat_j x[clamp(t*f + o_j)] for every valid output frame; padded rows zero. */
static void gather(const NnetLayer *l, NnetSeq in, NnetSeq out, Mat x, Mat y) {
  int f = l->ia[0], n = l->ia[1], D = l->in_dim;
  for (int t = 0; t < out.T; t++)
    for (int b = 0; b < out.B; b++) {
      float *yr = mat_row(y, t * out.B + b);
      if (t >= out.len[b]) {
        memset(yr, 0, sizeof(float) * (size_t)y.cols);
        continue;
      }
      for (int j = 0; j < n; j++)
        memcpy(yr + j * D, mat_row(x, nnet_clamped_row(in, t * f + l->ia[2 + j], b)), sizeof(float) * (size_t)D);
    }
}

/* dx = 0; dx[clamp(t*f + o_j)] += dy[t] block j, over valid output frames. */
static void scatter(const NnetLayer *l, NnetSeq in, NnetSeq out, Mat dy, Mat dx) {
  int f = l->ia[0], n = l->ia[1], D = l->in_dim;
  mat_zero(dx);
  for (int t = 0; t < out.T; t++)
    for (int b = 0; b < out.B; b++) {
      if (t >= out.len[b]) continue;
      const float *dyr = mat_row(dy, t * out.B + b);
      for (int j = 0; j < n; j++) {
        float *dxr = mat_row(dx, nnet_clamped_row(in, t * f + l->ia[2 + j], b));
        for (int k = 0; k < D; k++) dxr[k] += dyr[j * D + k];
      }
    }
}

static void gather_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                           float *work) {
  (void)w; (void)work;
  gather(l, in, out, x, y);
}

static void gather_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                            Mat dy, Mat dx, float *dw, float *work) {
  (void)w; (void)x; (void)y; (void)dw; (void)work;
  if (dx.data) scatter(l, in, out, dy, dx);
}

static void gather_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                            Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)w; (void)v; (void)x; (void)y; (void)work;
  gather(l, in, out, rx, ry);
}

static void gather_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                             Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                             float *work) {
  (void)w; (void)v; (void)x; (void)rx; (void)y; (void)ry; (void)dy; (void)rdw; (void)work;
  if (rdx.data) scatter(l, in, out, rdy, rdx);
}

const NnetLayerKind nnet_splice_kind = {
    .name = "splice",
    .configure = splice_configure,
    .forward = gather_forward,
    .backward = gather_backward,
    .rforward = gather_rforward,
    .rbackward = gather_rbackward,
};

const NnetLayerKind nnet_subsample_kind = {
    .name = "subsample",
    .configure = subsample_configure,
    .out_frames = subsample_out_frames,
    .forward = gather_forward,
    .backward = gather_backward,
    .rforward = gather_rforward,
    .rbackward = gather_rbackward,
};
