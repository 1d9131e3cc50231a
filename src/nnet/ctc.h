/* Connectionist temporal classification (Graves et al., ICML 2006), blank = unit 0,
 * in log space with double accumulation, for one utterance at a time.
 *
 * Input z: T frames x K log-probabilities (a log-softmax output), row t at z + t*ld.
 * Labels l_1..l_L in [1, K-1]; the extended sequence l' has S = 2L+1 states
 * (blank, l_1, blank, ..., l_L, blank).
 *   log alpha_t(s) = z_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
 *                                          alpha_{t-1}(s-2) if l'_s != blank, l'_s != l'_{s-2})
 *   log beta_t(s)  = logsumexp over the mirrored successors of beta_{t+1} + z_{t+1}
 *   loss = -log p = -logsumexp(alpha_{T-1}(S-1), alpha_{T-1}(S-2))
 *   dloss/dz_t(k) = -gamma_t(k),  gamma_t(k) = sum_{s: l'_s = k} alpha_t(s) beta_t(s) / p.
 * As a function of z the loss is -log sum_paths exp(sum_t z_t(pi_t)); its Hessian is
 * minus the covariance of the path indicator vectors, and H u = -d gamma[z + e u]/de,
 * computed exactly by the tangents of the recursions (ctc_utt_hvp). */
#ifndef NNET_CTC_H
#define NNET_CTC_H

#include <stdbool.h>
#include <stddef.h>

/* Frames the labels need: L + number of adjacent repeated labels. */
int nnet_ctc_min_frames(const int *lab, int L);
/* Doubles of scratch nnet_ctc_utt / nnet_ctc_utt_hvp need for T frames, L labels, K units. */
size_t nnet_ctc_work_doubles(int T, int L, int K);

/* Returns the loss -log p; when grad is non-NULL writes grad_t(k) = scale * dloss/dz_t(k)
 * (row t at grad + t*ld, K values; overwritten). Infeasible labels give +INFINITY and a
 * zero gradient. work: nnet_ctc_work_doubles(T, L, K) doubles. */
double nnet_ctc_utt(const float *z, int ld, int T, int K, const int *lab, int L, float scale,
                    float *grad, int ldg, double *work);
/* As nnet_ctc_utt, and also the Hessian-vector product: hu_t(k) = scale * sum (d^2 loss /
 * dz_t(k) dz_t'(k')) u_t'(k') for the tangent u (row t at u + t*ldu), into hu. */
double nnet_ctc_utt_hvp(const float *z, int ld, int T, int K, const int *lab, int L,
                        const float *u, int ldu, float scale, float *grad, float *hu, int ldg,
                        double *work);

#endif
