/* Every layer kind's backward, R-forward and R-backward against central finite
 * differences (tests/unit/nnet-check.h), on tiny padded batches. */
#include <float.h>

#include "nnet-check.h"

static const int lens[3] = {5, 3, 1}; /* T = 5, B = 3: full, partial and one-frame utterances */

static void test_affine(void) { nnet_check_layer("affine", "dim=3", 4, 5, 3, lens, 1); }
static void test_affine_default_dim(void) { nnet_check_layer("affine", "", 2, 5, 3, lens, 2); }
static void test_relu(void) { nnet_check_layer("relu", "", 4, 5, 3, lens, 3); }
static void test_tanh(void) { nnet_check_layer("tanh", "", 4, 5, 3, lens, 4); }
static void test_sigmoid(void) { nnet_check_layer("sigmoid", "", 4, 5, 3, lens, 5); }
static void test_splice_context(void) { nnet_check_layer("splice", "context=-2:1", 2, 5, 3, lens, 6); }
static void test_splice_offsets(void) { nnet_check_layer("splice", "offsets=-3,0,2", 2, 5, 3, lens, 7); }
static void test_subsample(void) {
  nnet_check_layer("subsample", "factor=2", 3, 5, 3, lens, 8);
  nnet_check_layer("subsample", "factor=3", 2, 5, 3, lens, 9);
  nnet_check_layer("subsample", "factor=4 stack=2", 2, 5, 3, lens, 10);
}
static void test_layer_norm(void) { nnet_check_layer("layer-norm", "", 5, 5, 3, lens, 11); }
static void test_lhuc(void) { nnet_check_layer("lhuc", "", 4, 5, 3, lens, 13); }
static void test_adapter(void) {
  nnet_check_layer("adapter", "dim=3", 4, 5, 3, lens, 16);
  nnet_check_layer("adapter", "dim=6", 2, 5, 3, lens, 17); /* wider than its input */
}
static void test_log_softmax(void) { nnet_check_layer("log-softmax", "", 4, 5, 3, lens, 12); }
/* A confident frame: softmax values below 1e-38 give subnormal gradients, which the
 * backward passes write as 0 (logsoftmax.c); the others are dy - s sum(dy) as ever. */
static void test_log_softmax_flushes_subnormals(void) {
  NnetLayer l;
  char err[200];
  CHECK(nnet_layer_configure(&l, nnet_layer_kind_find("log-softmax"), 3, "", 0, err, sizeof(err)));
  int len = 1;
  NnetSeq seq = {1, 1, &len};
  Mat x = mat_alloc(1, 3), y = mat_alloc(1, 3), dy = mat_alloc(1, 3), dx = mat_alloc(1, 3);
  Mat ry = mat_alloc(1, 3), rdy = mat_alloc(1, 3), rdx = mat_alloc(1, 3);
  const float xv[3] = {0, -95, -2}, dyv[3] = {-1, 0, 0}, ryv[3] = {0.5f, 1, -1}, rdyv[3] = {0.25f, 0, 0};
  memcpy(x.data, xv, sizeof(xv));
  memcpy(dy.data, dyv, sizeof(dyv));
  memcpy(ry.data, ryv, sizeof(ryv));
  memcpy(rdy.data, rdyv, sizeof(rdyv));
  l.kind->forward(&l, NULL, seq, seq, x, y, NULL);
  float s1 = expf(y.data[1]);
  CHECK(s1 > 0 && s1 < FLT_MIN); /* without the flush, dx[1] = s1 would be subnormal */
  l.kind->backward(&l, NULL, seq, seq, x, y, dy, dx, NULL, NULL);
  CHECK(dx.data[1] == 0);
  CHECK(fabsf(dx.data[0] - (-1 + expf(y.data[0]))) < 1e-6f && dx.data[2] == expf(y.data[2]));
  l.kind->rbackward(&l, NULL, NULL, seq, seq, x, x, y, ry, dy, rdy, rdx, NULL, NULL);
  CHECK(rdx.data[1] == 0 && rdx.data[2] != 0);
  Mat all[] = {x, y, dy, dx, ry, rdy, rdx};
  for (int i = 0; i < 7; i++) mat_release(&all[i]);
}
/* (test-rnn checks the recurrent kinds against PyTorch; here their short cuts too) */
static void test_recurrent(void) {
  nnet_check_layer("lstm", "dim=3 bidirectional=true", 4, 5, 3, lens, 14);
  nnet_check_layer("gru", "dim=3 bidirectional=true", 4, 5, 3, lens, 15);
}

static void test_subsample_frames(void) {
  NnetLayer l;
  char err[200];
  CHECK(nnet_layer_configure(&l, nnet_layer_kind_find("subsample"), 4, "factor=3", 0, err, sizeof(err)));
  CHECK(l.kind->out_frames(&l, 7) == 3 && l.kind->out_frames(&l, 6) == 2 && l.kind->out_frames(&l, 1) == 1);
  CHECK(l.out_dim == 12);
}

static void test_bad_settings(void) {
  NnetLayer l;
  char err[200];
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("affine"), 4, "dim=x", 0, err, sizeof(err)));
  CHECK(strstr(err, "dim=x") != NULL);
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("affine"), 4, "", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("relu"), 4, "size=3", 0, err, sizeof(err)));
  CHECK(strstr(err, "unknown setting 'size'") != NULL);
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("splice"), 4, "context=2:-2", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("splice"), 4, "offsets=1,1", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("subsample"), 4, "factor=0", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("layer-norm"), 4, "eps=-1", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("affine"), 4, "dim", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("lhuc"), 4, "dim=4", 0, err, sizeof(err)));
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("adapter"), 4, "", 0, err, sizeof(err)));
  CHECK(strstr(err, "adapter needs dim=") != NULL);
  CHECK(!nnet_layer_configure(&l, nnet_layer_kind_find("adapter"), 4, "dim=0", 0, err, sizeof(err)));
  CHECK(nnet_layer_kind_find("no-such-layer") == NULL);
}

int main(void) {
  RUN(test_affine);
  RUN(test_affine_default_dim);
  RUN(test_relu);
  RUN(test_tanh);
  RUN(test_sigmoid);
  RUN(test_splice_context);
  RUN(test_splice_offsets);
  RUN(test_subsample);
  RUN(test_layer_norm);
  RUN(test_lhuc);
  RUN(test_adapter);
  RUN(test_log_softmax);
  RUN(test_log_softmax_flushes_subnormals);
  RUN(test_recurrent);
  RUN(test_subsample_frames);
  RUN(test_bad_settings);
  return test_summary();
}
