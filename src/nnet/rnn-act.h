/* One code path of rnn.c's gate nonlinearities, included once per instruction set with
 * these defined (and undefined here after use):
 *   ACT(name)    name with the path's suffix, for everything defined here
 *   ACT_TARGET   the target attribute ("avx512f", "avx2"), or nothing for the baseline
 *   ACT_FLOATS   floats a native vector of the target: 16, 8 or 4
 * Defines static void ACT(sigmoid) and ACT(tanh) (float *y, const float *x, int n).
 * Every path does the same arithmetic in each lane, none fused (ISO C: no contraction),
 * so all give the same bits; the wider ones do more lanes an instruction. */

typedef float ACT(vsf) __attribute__((vector_size(ACT_FLOATS * sizeof(float))));
typedef int ACT(vsi) __attribute__((vector_size(ACT_FLOATS * sizeof(float))));

ACT_TARGET ACT_INLINE ACT(vsf) ACT(select)(ACT(vsi) mask, ACT(vsf) a, ACT(vsf) b) {
  return (ACT(vsf))((mask & (ACT(vsi))a) | (~mask & (ACT(vsi))b));
}

/* Cephes' expf: exp(x) = 2^n exp(r), r = x - n ln2 in [-ln2/2, ln2/2], a degree-7
 * polynomial; about 1 ulp. */
ACT_TARGET ACT_INLINE ACT(vsf) ACT(exp)(ACT(vsf) x) {
  const float hi = 88.3762626647949f;
  x = ACT(select)(x > hi, (ACT(vsf)){0} + hi, x);
  x = ACT(select)(x < -hi, (ACT(vsf)){0} - hi, x);
  ACT(vsf) fx = x * 1.44269504088896341f + 0.5f;
  ACT(vsf) t = __builtin_convertvector(__builtin_convertvector(fx, ACT(vsi)), ACT(vsf));
  fx = t + __builtin_convertvector(t > fx, ACT(vsf)); /* floor: the mask is -1 where t > fx */
  x = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  ACT(vsf) z = x * x;
  ACT(vsf) y = 1.9875691500e-4f * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + x + 1.0f;
  ACT(vsi) e = (__builtin_convertvector(fx, ACT(vsi)) + 127) << 23;
  return y * (ACT(vsf))e;
}

/* Cephes' tanhf: an odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with
 * the sign of x; about 1 ulp relative everywhere. */
ACT_TARGET ACT_INLINE ACT(vsf) ACT(tanhv)(ACT(vsf) x) {
  ACT(vsi) neg = x < 0.0f;
  ACT(vsf) a = ACT(select)(neg, -x, x), z = x * x;
  ACT(vsf) p = -5.70498872745e-3f * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  ACT(vsf) small = p * z * x + x;
  ACT(vsf) big = 1.0f - 2.0f / (ACT(exp)(a + a) + 1.0f);
  return ACT(select)(a < 0.625f, small, ACT(select)(neg, -big, big));
}

/* Applies expr (of the vector v) to n floats from x into y (may be the same array), a
 * vector at a time; the tail goes through a zero-padded vector, so every element gets
 * the same arithmetic wherever it lies. */
#define ACT_MAP(y, x, n, expr)                                        \
  do {                                                                \
    int i_ = 0;                                                       \
    for (; i_ + ACT_FLOATS <= (n); i_ += ACT_FLOATS) {                \
      ACT(vsf) v;                                                     \
      memcpy(&v, (x) + i_, sizeof(v));                                \
      v = (expr);                                                     \
      memcpy((y) + i_, &v, sizeof(v));                                \
    }                                                                 \
    if (i_ < (n)) {                                                   \
      ACT(vsf) v = {0};                                               \
      memcpy(&v, (x) + i_, sizeof(float) * (size_t)((n) - i_));      \
      v = (expr);                                                     \
      memcpy((y) + i_, &v, sizeof(float) * (size_t)((n) - i_));      \
    }                                                                 \
  } while (0)

ACT_TARGET static void ACT(sigmoid)(float *y, const float *x, int n) {
  ACT_MAP(y, x, n, 1.0f / (1.0f + ACT(exp)(-v)));
}

ACT_TARGET static void ACT(tanh)(float *y, const float *x, int n) { ACT_MAP(y, x, n, ACT(tanhv)(v)); }

#undef ACT_MAP
#undef ACT
#undef ACT_TARGET
#undef ACT_FLOATS
