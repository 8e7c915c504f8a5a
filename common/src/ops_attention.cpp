// Scaled dot-product attention, fused: for every (batch, head) pair, the scores
// q k^T on the GEMM, the masks and a row softmax in place, optional dropout, and the
// product with v on the GEMM; the backward runs the same pairs in reverse.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dl/attention.hpp"
#include "dl/threads.hpp"
#include "gemm.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

// The extents of one call, checked.
struct AttentionDims {
  int64_t batch, heads, tq, tk, d, dv;
  int64_t pairs() const { return batch * heads; }
};

AttentionDims check_attention(const Tensor& q, const Tensor& k, const Tensor* v, const AttentionMask& mask,
                              const char* op) {
  const std::string name(op);
  for (const Tensor* t : {&q, &k, v}) {
    if (t == nullptr) continue;
    if (!t->defined()) throw Error(name + ": q, k and v must be defined tensors");
    if (t->dim() != 4)
      throw ShapeError(name + ": expected (B,H,T,D) tensors, got " + (t == &q ? "q " : t == &k ? "k " : "v ") +
                       to_string(t->shape()) + "; split the heads first: (B,T,H*D) -> reshape (B,T,H,D) -> "
                       "transpose(1, 2)");
  }
  const AttentionDims dims{q.size(0), q.size(1), q.size(2), k.size(2), q.size(3), v ? v->size(3) : 0};
  if (k.size(0) != dims.batch || k.size(1) != dims.heads || k.size(3) != dims.d)
    throw ShapeError(name + ": q " + to_string(q.shape()) + " and k " + to_string(k.shape()) +
                     " must agree in batch, heads and head size (B,H,_,D)");
  if (v && (v->size(0) != dims.batch || v->size(1) != dims.heads || v->size(2) != dims.tk))
    throw ShapeError(name + ": v " + to_string(v->shape()) + " must have k's batch, heads and length: k is " +
                     to_string(k.shape()) + " (one value per key)");
  if (dims.d == 0) throw ShapeError(name + ": head size D is 0 in q " + to_string(q.shape()));
  if (!mask.key_padding.empty()) {
    if (static_cast<int64_t>(mask.key_padding.size()) != dims.batch * dims.tk)
      throw ShapeError(name + ": key_padding has " + std::to_string(mask.key_padding.size()) +
                       " entries but k " + to_string(k.shape()) + " needs B*S = " +
                       std::to_string(dims.batch * dims.tk) + " (one per key of each sequence)");
    for (size_t i = 0; i < mask.key_padding.size(); ++i)
      if (mask.key_padding[i] != 0 && mask.key_padding[i] != 1)
        throw Error(name + ": key_padding holds 1 for a real token and 0 for padding, got " +
                    std::to_string(mask.key_padding[i]) + " at " + std::to_string(i));
  }
  return dims;
}

// True when the pairs are worth splitting across threads: a fork and join (and, on a
// loaded machine, waiting for a descheduled thread) costs more than small products save.
// The products' FLOPs are compared with the GEMM's own threshold.
bool parallel_pairs(const AttentionDims& n) {
  const double flops = 2.0 * static_cast<double>(n.pairs() * n.tq * n.tk) * static_cast<double>(n.d + std::max<int64_t>(n.dv, 1));
  return n.pairs() > 1 && num_threads() > 1 && flops >= kParallelGemmFlops;
}

// [masked-softmax]
// The scores of one (batch, head) pair turned into probabilities, in place:
// p: (T,S) holding q k^T on entry; each row becomes softmax(scale * row) over the keys the
// masks allow, with exact zeros at the others (and everywhere in a row with no key allowed).
void masked_softmax_rows(float* p, const int* key_padding, bool causal, float scale, int64_t tq, int64_t tk) {
  for (int64_t i = 0; i < tq; ++i) {
    ArrMap row(p + i * tk, tk);
    // Keys allowed for query i: not padding, and j <= i when causal.
    const int64_t visible = causal ? std::min(i + 1, tk) : tk;
    float m = -INFINITY;
    for (int64_t j = 0; j < visible; ++j)
      if (!key_padding || key_padding[j]) m = std::max(m, row[j] * scale);
    if (m == -INFINITY) {  // no key to look at: zeros, not 0/0
      row.setZero();
      continue;
    }
    row.head(visible) = (row.head(visible) * scale - m).exp();
    row.tail(tk - visible).setZero();
    if (key_padding)
      for (int64_t j = 0; j < visible; ++j)
        if (!key_padding[j]) row[j] = 0.0f;
    row /= row.sum();
  }
}

// [masked-softmax]
// probs (B,H,T,S) for the checked inputs: the forward's first half, shared with attention_weights.
void attention_probabilities(const Tensor& q, const Tensor& k, const AttentionMask& mask, const AttentionDims& n,
                             float scale, float* probs) {
  const float *pq = q.data(), *pk = k.data();
  const bool parallel = parallel_pairs(n);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t pair = 0; pair < n.pairs(); ++pair) {
    const int64_t b = pair / n.heads;
    float* p = probs + pair * n.tq * n.tk;
    // scores = q k^T: (T,D) x (D,S)
    gemm(p, ConstMatMap(pq + pair * n.tq * n.d, n.tq, n.d), ConstMatMap(pk + pair * n.tk * n.d, n.tk, n.d).transpose());
    masked_softmax_rows(p, mask.key_padding.empty() ? nullptr : mask.key_padding.data() + b * n.tk, mask.causal, scale,
                        n.tq, n.tk);
  }
}

float resolve_scale(float scale, int64_t d) { return scale != 0.0f ? scale : 1.0f / std::sqrt(static_cast<float>(d)); }

}  // namespace

Tensor attention_weights(const Tensor& q, const Tensor& k, const AttentionMask& mask, float scale) {
  // q: (B,H,T,D)  k: (B,H,S,D)  ->  (B,H,T,S)
  const AttentionDims n = check_attention(q, k, nullptr, mask, "attention_weights");
  Tensor probs = Tensor::empty({n.batch, n.heads, n.tq, n.tk});
  attention_probabilities(q, k, mask, n, resolve_scale(scale, n.d), probs.data());
  return probs;
}

// [attention]
// [attention-forward]
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options) {
  // q: (B,H,T,D)  k: (B,H,S,D)  v: (B,H,S,Dv)  ->  out: (B,H,T,Dv)
  //   p = softmax(q k^T * scale + mask)   a = dropout(p)   out = a v
  const AttentionDims n = check_attention(q, k, &v, options.mask, "scaled_dot_product_attention");
  const float p_drop = options.dropout_p;
  if (!(p_drop >= 0.0f && p_drop < 1.0f))
    throw Error("scaled_dot_product_attention: dropout_p must be in [0, 1), got " + std::to_string(p_drop));
  const float scale = resolve_scale(options.scale, n.d);
  const int64_t block = n.tq * n.tk;  // one pair's probabilities

  // What the backward keeps: the probabilities, and with dropout which of them survived.
  struct Saved {
    Tensor probs;                                // (B,H,T,S) after the mask and softmax, before dropout
    std::shared_ptr<std::vector<uint8_t>> keep;  // (B,H,T,S) 1 kept, 0 dropped; null without dropout
  };
  Saved saved{Tensor::empty({n.batch, n.heads, n.tq, n.tk}), nullptr};
  attention_probabilities(q, k, options.mask, n, scale, saved.probs.data());
  if (p_drop > 0.0f) {
    // Drawn in order before the parallel loop: the same mask for any thread count.
    Generator& gen = options.generator ? *options.generator : default_generator();
    saved.keep = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(n.pairs() * block));
    for (uint8_t& kept : *saved.keep) kept = gen.uniform() >= p_drop;
  }
  const float keep_scale = 1.0f / (1.0f - p_drop);

  Tensor out = Tensor::empty({n.batch, n.heads, n.tq, n.dv});
  const bool parallel = parallel_pairs(n);
#pragma omp parallel if (parallel)
  {
    std::vector<float> dropped(saved.keep ? static_cast<size_t>(block) : 0);  // a = p * keep / (1 - p_drop)
#pragma omp for schedule(static)
    for (int64_t pair = 0; pair < n.pairs(); ++pair) {
      const float* p = saved.probs.data() + pair * block;
      if (saved.keep) {
        const uint8_t* kept = saved.keep->data() + pair * block;
        for (int64_t i = 0; i < block; ++i) dropped[static_cast<size_t>(i)] = kept[i] ? p[i] * keep_scale : 0.0f;
        p = dropped.data();
      }
      // out = a v: (T,S) x (S,Dv)
      gemm(out.data() + pair * n.tq * n.dv, ConstMatMap(p, n.tq, n.tk),
           ConstMatMap(v.data() + pair * n.tk * n.dv, n.tk, n.dv));
    }
  }

  // [attention-forward]
  // [attention-backward]
  record(out, "scaled_dot_product_attention", {q, k, v},
         [q, k, v, saved, n, scale, keep_scale, parallel](const Tensor&, const Tensor& dout) {
           const int64_t block = n.tq * n.tk;
           const GradSink none{nullptr, false};
           // Asked for in the order q, k, v and written in that order in each pair, so that
           // the same tensor passed twice (self-attention on one input) is assigned then added.
           const GradSink dq = q.requires_grad() ? grad_sink(q) : none;
           const GradSink dk = k.requires_grad() ? grad_sink(k) : none;
           const GradSink dv = v.requires_grad() ? grad_sink(v) : none;
#pragma omp parallel if (parallel)
           {
             std::vector<float> ds(static_cast<size_t>(block));                         // dA, then dP, then dS
             std::vector<float> dropped(saved.keep ? static_cast<size_t>(block) : 0);  // a
#pragma omp for schedule(static)
             for (int64_t pair = 0; pair < n.pairs(); ++pair) {
               const float* p = saved.probs.data() + pair * block;
               const uint8_t* kept = saved.keep ? saved.keep->data() + pair * block : nullptr;
               const float* a = p;
               if (kept) {
                 for (int64_t i = 0; i < block; ++i) dropped[static_cast<size_t>(i)] = kept[i] ? p[i] * keep_scale : 0.0f;
                 a = dropped.data();
               }
               const ConstMatMap g(dout.data() + pair * n.tq * n.dv, n.tq, n.dv);
               const ConstMatMap qm(q.data() + pair * n.tq * n.d, n.tq, n.d);
               const ConstMatMap km(k.data() + pair * n.tk * n.d, n.tk, n.d);
               const ConstMatMap vm(v.data() + pair * n.tk * n.dv, n.tk, n.dv);
               // out = a v  =>  da = dout v^T
               gemm(ds.data(), g, vm.transpose());
               // a = p * keep / (1 - p_drop)  =>  dp = da * keep / (1 - p_drop)
               if (kept)
                 for (int64_t i = 0; i < block; ++i) ds[static_cast<size_t>(i)] = kept[i] ? ds[static_cast<size_t>(i)] * keep_scale : 0.0f;
               // p = softmax(s) per row  =>  ds = p * (dp - sum_j(dp * p)); scores = scale q k^T, so ds *= scale
               for (int64_t i = 0; i < n.tq; ++i) {
                 ArrMap row(ds.data() + i * n.tk, n.tk);
                 const ConstArrMap prow(p + i * n.tk, n.tk);
                 const float dot = (row * prow).sum();
                 row = prow * (row - dot) * scale;
               }
               const ConstMatMap dsm(ds.data(), n.tq, n.tk);
               // scores = scale q k^T  =>  dq += ds k,  dk += ds^T q  (scale already in ds)
               if (dq.data) write_grad({dq.data + pair * n.tq * n.d, dq.fresh}, dsm, km);
               if (dk.data) write_grad({dk.data + pair * n.tk * n.d, dk.fresh}, dsm.transpose(), qm);
               // out = a v  =>  dv += a^T dout
               if (dv.data) write_grad({dv.data + pair * n.tk * n.dv, dv.fresh}, ConstMatMap(a, n.tq, n.tk).transpose(), g);
             }
           }
         });
  // [attention-backward]
  return out;
}
// [attention]

}  // namespace dl
