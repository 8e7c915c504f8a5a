#!/usr/bin/python3
"""Our ops and chapter models against PyTorch on the same CPU, in the same run.

    compare_torch.py --bench-dir BUILD/tests/bench [--threads N] [--rounds R]
                     [--min-time SECONDS] [--json FILE]

Each row is one Google Benchmark of ours and the same computation in PyTorch (same
shapes, batch sizes, optimiser and thread count). Rounds interleave the two sides
(ours, torch, ours, torch, ...) so that drift in the machine's load hits both; the
table shows the median of the rounds and the ratio ours/torch (below 1: we are faster).

PyTorch runs in a worker process set up for its best configuration on this kind of
machine: Debian's torch links the reference BLAS unless an optimised one is
present, so the worker loads OpenBLAS's OpenMP build (the pthreads build fights
torch's OpenMP pool), with its AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX; an
environment that forces Haswell halves GEMM speed), ATEN_CPU_CAPABILITY=avx512,
glibc's malloc thresholds raised with huge pages, and torch.set_num_threads(N).
Our benchmarks run under the same environment, so both sides use the same BLAS
kernels. Both sides report which BLAS and kernels they used.

Exit status 2 when PyTorch is missing (./book deps --optional installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

# name, our benchmark program, its benchmark, and what the row measures
ROWS = [
    ("matmul_1024", "bench_matmul", "BM_MatmulForward/1024/real_time", "1024x1024 times 1024x1024, float32"),
    ("conv2d_fwd_bwd", "bench_conv", "BM_Conv2dForwardBackward/1/real_time",
     "conv2d (64,32,14,14) -> 64 channels, 3x3, padding 1, forward + backward"),
    ("lstm_cell_fwd_bwd", "bench_lstm", "BM_LstmForwardBackward/1/real_time",
     "one LSTM step, batch 32, input 64, hidden 256, forward + backward"),
    ("cross_entropy_128x10000", "bench_loss", "BM_CrossEntropy/128/10000/real_time",
     "softmax + cross-entropy on (128, 10000), forward + backward"),
    ("attention_fwd_bwd", "bench_attention", "BM_AttentionForwardBackward/32/4/128/32/real_time",
     "scaled dot-product attention, q k v (32, 4 heads, 128, 32): width 128 in 4 heads, forward + backward"),
    ("layer_norm_fwd_bwd", "bench_attention", "BM_LayerNormForwardBackward/32/128/128/real_time",
     "layer_norm over 128 features of (32, 128, 128), forward + backward"),
    ("bert_step", "bench_bert", "BM_BertTrainStep/real_time",
     "chapter 04 BERT (hidden 64, 2 layers, 2 heads, vocabulary 30522), 32 sequences x 64 tokens, 15% masked: "
     "forward, masked-LM loss, backward, clip, AdamW"),
    ("gpt_step", "bench_gpt", "BM_GptTrainStep/real_time",
     "chapter 05 GPT (width 128, 4 blocks of 4 heads, vocabulary 4859), 32 windows x 128 tokens: forward, "
     "cross-entropy at every position, backward, clip, AdamW"),
    ("generate_kv", "bench_gpt", "BM_GenerateKV/real_time",
     "chapter 05 GPT with 1024 positions: greedy generation of 256 tokens after one, batch 1, with a KV cache"),
    ("mlp_step", "bench_mlp", "BM_MlpTrainStep/128/real_time",
     "chapter 01 MLP 784-256-128-10, batch 128: forward, loss, backward, Adam"),
    ("cnn_step", "bench_conv", "BM_CnnTrainStep/real_time",
     "chapter 02 CNN, batch 64: forward, loss, backward, Adam"),
    ("lstm_step", "bench_lstm", "BM_CharLMTrainStep/real_time",
     "chapter 03 char LSTM, 32 x 64 characters, vocabulary 4859: forward, loss, backward, clip, Adam"),
]

OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def environment(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "OPENBLAS_CORETYPE": "SkylakeX",
        "ATEN_CPU_CAPABILITY": "avx512",
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
                          ":glibc.malloc.hugetlb=1",
        "OMP_NUM_THREADS": str(threads),
        # torch's libblas.so.3 resolves to OpenBLAS's OpenMP build.
        "LD_LIBRARY_PATH": OPENBLAS_OPENMP + (":" + os.environ["LD_LIBRARY_PATH"] if "LD_LIBRARY_PATH" in os.environ
                                              else ""),
    })
    return env


# --------------------------------------------------------------------------------------
# The torch side: a worker process that builds each row once and times it on request.

WORKER = r'''
import ctypes, json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1])
torch.set_num_threads(threads)
torch.manual_seed(0)


def blas():
    """The BLAS library this process loaded, and its kernels when it is OpenBLAS."""
    for line in open("/proc/self/maps"):
        if "libblas" in line or "openblas" in line:
            path = line.split()[-1]
            import os
            real = os.path.realpath(path)
            try:
                lib = ctypes.CDLL(real)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return f"OpenBLAS ({lib.openblas_get_corename().decode()} kernels) from {real}"
            except (OSError, AttributeError):
                return real
    return "unknown"


def matmul_1024():
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    c = torch.empty(1024, 1024)
    return lambda: torch.mm(a, b, out=c)


def conv2d_fwd_bwd():
    x = torch.randn(64, 32, 14, 14, requires_grad=True)
    w = torch.randn(64, 32, 3, 3, requires_grad=True)
    b = torch.randn(64, requires_grad=True)
    dy = torch.randn(64, 64, 14, 14)
    def step():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).backward(dy)
    return step


def lstm_cell_fwd_bwd():
    lstm = nn.LSTM(64, 256)
    x = torch.rand(1, 32, 64, requires_grad=True)
    h = torch.rand(1, 32, 256, requires_grad=True)
    c = torch.rand(1, 32, 256, requires_grad=True)
    dy = torch.randn(2, 32, 256)
    def step():
        for t in (x, h, c, *lstm.parameters()):
            t.grad = None
        out, (hn, cn) = lstm(x, (h, c))
        torch.cat([out, cn], 0).backward(dy)
    return step


def cross_entropy_128x10000():
    logits = torch.randn(128, 10000, requires_grad=True)
    targets = torch.randint(0, 10000, (128,))
    def step():
        logits.grad = None
        F.cross_entropy(logits, targets).backward()
    return step


def attention_fwd_bwd():
    # Model width 128 split into 4 heads of 32, as bench_attention.cpp.
    q, k, v = (torch.randn(32, 4, 128, 32, requires_grad=True) for _ in range(3))
    dy = torch.randn(32, 4, 128, 32)
    sdpa = getattr(F, "scaled_dot_product_attention", None)  # torch >= 2.0: its fused kernel
    if sdpa is None:  # older torch: the composition its nn.MultiheadAttention runs
        def sdpa(q, k, v):
            return torch.softmax(torch.matmul(q * q.shape[-1] ** -0.5, k.transpose(-2, -1)), dim=-1) @ v
    def step():
        q.grad = k.grad = v.grad = None
        sdpa(q, k, v).backward(dy)
    return step


def layer_norm_fwd_bwd():
    x = torch.randn(32, 128, 128, requires_grad=True)
    w, b = torch.randn(128, requires_grad=True), torch.randn(128, requires_grad=True)
    dy = torch.randn(32, 128, 128)
    def step():
        x.grad = w.grad = b.grad = None
        F.layer_norm(x, (128,), w, b, eps=1e-5).backward(dy)
    return step


def classifier_step(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def mlp_step():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return classifier_step(model, torch.rand(128, 784), torch.arange(128) % 10)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(64 * 7 * 7, 128), nn.Linear(128, 10)
    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x.view(-1, 1, 28, 28))), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))


def cnn_step():
    return classifier_step(CNN(), torch.rand(64, 784), torch.arange(64) % 10)


class CharLM(nn.Module):
    def __init__(self, vocab=4859):
        super().__init__()
        self.embed, self.lstm = nn.Embedding(vocab, 64), nn.LSTM(64, 256)
        self.drop, self.head = nn.Dropout(0.1), nn.Linear(256, vocab)
    def forward(self, ids, state):
        out, state = self.lstm(self.drop(self.embed(ids)), state)
        return self.head(self.drop(out)), state


def lstm_step():
    model, steps, batch, vocab = CharLM(), 64, 32, 4859
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, targets = torch.randint(0, vocab, (steps, batch)), torch.randint(0, vocab, (steps * batch,))
    carried = [None]
    def step():
        opt.zero_grad(set_to_none=True)
        logits, (h, c) = model(inputs, carried[0])
        F.cross_entropy(logits.reshape(steps * batch, vocab), targets).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        carried[0] = (h.detach(), c.detach())
    return step


class Bert(nn.Module):
    """Chapter 04's BERT as Hugging Face's BertForMaskedLM computes it (post-LN blocks, exact
    GELU; dropout after the embeddings, on the attention weights and after each block's two
    outputs, 0 in the default run), with the masked-LM head applied to the masked rows only,
    as bench_bert.cpp."""
    def __init__(self, vocab=30522, hidden=64, layers=2, heads=2, inner=256, positions=128, p=0.0):
        super().__init__()
        self.heads, self.p = heads, p
        self.words, self.positions, self.types = nn.Embedding(vocab, hidden), nn.Embedding(positions, hidden), nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            block = nn.ModuleDict({name: nn.Linear(hidden, hidden) for name in ("q", "k", "v", "o")})
            block["ff1"], block["ff2"] = nn.Linear(hidden, inner), nn.Linear(inner, hidden)
            block["norm1"], block["norm2"] = nn.LayerNorm(hidden, eps=1e-12), nn.LayerNorm(hidden, eps=1e-12)
            self.blocks.append(block)
        self.dense, self.head_norm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab))
    def forward(self, ids, rows):
        b, t = ids.shape
        x = self.words(ids) + self.positions(torch.arange(t)) + self.types(torch.zeros_like(ids))
        x = F.dropout(self.norm(x), self.p, self.training)
        d = x.shape[-1] // self.heads
        for blk in self.blocks:
            q, k, v = (blk[n](x).view(b, t, self.heads, d).transpose(1, 2) for n in ("q", "k", "v"))
            att = F.dropout(torch.softmax(q @ k.transpose(-2, -1) * d ** -0.5, dim=-1), self.p, self.training)
            ctx = (att @ v).transpose(1, 2).reshape(b, t, -1)
            x = blk["norm1"](x + F.dropout(blk["o"](ctx), self.p, self.training))
            x = blk["norm2"](x + F.dropout(blk["ff2"](F.gelu(blk["ff1"](x))), self.p, self.training))
        h = x.reshape(b * t, -1)[rows]
        return self.head_norm(F.gelu(self.dense(h))) @ self.words.weight.T + self.bias


def bert_step():
    model, batch, steps = Bert(), 32, 64
    ids = torch.randint(1000, 30522, (batch, steps))
    rows = torch.arange(batch * steps)[torch.arange(batch * steps) % 7 == 3]
    labels = ids.view(-1)[rows].clone()
    ids.view(-1)[rows] = 103
    decayed = [p for p in model.parameters() if p.dim() >= 2]
    kept = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": kept, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.98), eps=1e-6)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(ids, rows), labels).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step


class Gpt(nn.Module):
    """Chapter 05's GPT as GPT-2 computes it (Hugging Face's modeling_gpt2.py): pre-LN blocks,
    causal attention through a fused qkv projection, the tanh GELU, a final LayerNorm and the
    output layer tied to the token embeddings; no dropout (the default run's). forward()
    takes and returns a per-layer cache of keys and values for incremental decoding, as
    GPT2Model's past_key_values."""
    def __init__(self, vocab=4859, width=128, layers=4, heads=4, positions=128):
        super().__init__()
        self.heads = heads
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(positions, width)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            block = nn.ModuleDict({"ln_1": nn.LayerNorm(width), "c_attn": nn.Linear(width, 3 * width),
                                   "c_proj": nn.Linear(width, width), "ln_2": nn.LayerNorm(width),
                                   "c_fc": nn.Linear(width, 4 * width), "mlp_proj": nn.Linear(4 * width, width)})
            self.blocks.append(block)
        self.ln_f = nn.LayerNorm(width)
    def forward(self, ids, past=None):
        b, t = ids.shape
        start = 0 if past is None else past[0][0].shape[2]
        x = self.wte(ids) + self.wpe(torch.arange(start, start + t))
        d = x.shape[-1] // self.heads
        present = []
        for i, blk in enumerate(self.blocks):
            q, k, v = blk["c_attn"](blk["ln_1"](x)).split(x.shape[-1], dim=-1)
            q, k, v = (z.view(b, t, self.heads, d).transpose(1, 2) for z in (q, k, v))
            if past is not None:
                k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
            present.append((k, v))
            scores = q @ k.transpose(-2, -1) * d ** -0.5
            if t > 1:
                causal = torch.ones(t, k.shape[2], dtype=torch.bool).tril(k.shape[2] - t)
                scores = scores.masked_fill(~causal, float("-inf"))
            y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, -1)
            x = x + blk["c_proj"](y)
            x = x + blk["mlp_proj"](F.gelu(blk["c_fc"](blk["ln_2"](x)), approximate="tanh"))
        return self.ln_f(x) @ self.wte.weight.T, present


def gpt_step():
    model, batch, steps = Gpt(), 32, 128
    ids, targets = torch.randint(0, 4859, (batch, steps)), torch.randint(0, 4859, (batch * steps,))
    decayed = [p for p in model.parameters() if p.dim() >= 2]
    kept = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.1}, {"params": kept, "weight_decay": 0.0}],
                            lr=4e-3, betas=(0.9, 0.95))
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(ids)[0].reshape(batch * steps, -1), targets).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step


def generate_kv():
    model = Gpt(positions=1024).eval()
    def generate():
        with torch.no_grad():
            logits, past = model(torch.tensor([[1]]))
            for i in range(256):  # as ours: the 256th token needs no forward pass after it
                token = logits[:, -1].argmax(-1, keepdim=True)
                if i < 255:
                    logits, past = model(token, past)
    return generate


rows = {}
print(json.dumps({"torch_version": torch.__version__, "torch_blas": blas(), "threads": torch.get_num_threads()}),
      flush=True)
for line in sys.stdin:
    name, min_time = line.split()
    if name not in rows:
        rows[name] = globals()[name]()
        for _ in range(3):
            rows[name]()  # warm-up: allocations, kernel choice
    step, iterations, start = rows[name], 0, time.perf_counter()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= float(min_time) and iterations >= 3:
            break
    print(json.dumps({"ms": 1000 * elapsed / iterations, "iterations": iterations}), flush=True)
'''


class TorchWorker:
    def __init__(self, threads: int, env: dict[str, str]):
        self.proc = subprocess.Popen(["/usr/bin/python3", "-c", WORKER, str(threads)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.info = json.loads(self.proc.stdout.readline())

    def time(self, name: str, min_time: float) -> float:
        self.proc.stdin.write(f"{name} {min_time}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["ms"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------------------------
# Our side: one Google Benchmark run per measurement.


def ours(bench_dir: Path, program: str, benchmark: str, min_time: float, env: dict[str, str]) -> tuple[float, dict]:
    out = subprocess.run([str(bench_dir / program), f"--benchmark_filter=^{benchmark.removesuffix('/real_time')}",
                          f"--benchmark_min_time={min_time}", f"--benchmark_min_warmup_time={min_time}",
                          "--benchmark_format=json"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, check=True).stdout
    report = json.loads(out)
    run = next(b for b in report["benchmarks"] if b["name"] == benchmark)
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[run["time_unit"]]
    return run["real_time"] * scale, report["context"]


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench-dir", required=True, type=Path)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--only", nargs="*", help="rows to run (default: all)")
    args = p.parse_args()
    try:
        import torch  # noqa: F401  (only to tell a missing install apart from a broken run)
    except ImportError:
        print("compare: PyTorch is not installed for /usr/bin/python3; install it with ./book deps --optional",
              file=sys.stderr)
        return 2
    rows = [r for r in ROWS if not args.only or r[0] in args.only]
    env = environment(args.threads)
    worker = TorchWorker(args.threads, env)
    times: dict[str, tuple[list[float], list[float]]] = {r[0]: ([], []) for r in rows}
    context: dict = {}
    print(f"comparing {len(rows)} rows, {args.rounds} rounds, {args.threads} threads "
          f"(torch {worker.info['torch_version']}, {worker.info['torch_blas']})", file=sys.stderr)
    for round_ in range(args.rounds):
        for name, program, benchmark, _ in rows:
            ms, context = ours(args.bench_dir, program, benchmark, args.min_time, env)
            times[name][0].append(ms)
            times[name][1].append(worker.time(name, args.min_time))
        print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    worker.close()

    result = {
        "torch_version": worker.info["torch_version"],
        "torch_blas": worker.info["torch_blas"],
        "ours_blas": context.get("dl_blas", "unknown"),
        "threads": args.threads,
        "rounds": args.rounds,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": [],
    }
    width = max(len(r[0]) for r in rows)
    print(f"{'name':<{width}}  {'ours (ms)':>10}  {'torch (ms)':>10}  {'ours/torch':>10}")
    for name, _, _, what in rows:
        o, t = statistics.median(times[name][0]), statistics.median(times[name][1])
        result["rows"].append({"name": name, "ours_ms": round(o, 4), "torch_ms": round(t, 4),
                               "ratio": round(o / t, 3), "what": what,
                               "ours_all_ms": [round(v, 4) for v in times[name][0]],
                               "torch_all_ms": [round(v, 4) for v in times[name][1]]})
        print(f"{name:<{width}}  {o:10.3f}  {t:10.3f}  {o / t:10.2f}")
    print(f"\nours:  {result['ours_blas']}\ntorch: {result['torch_version']}, {result['torch_blas']}\n"
          f"{args.threads} threads, median of {args.rounds} interleaved rounds, {result['machine']['cpu']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
