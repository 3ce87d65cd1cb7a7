"""Training-speed benchmark of omicvae's IDMVAE: throughput, epoch time, peak memory, scaling, profile.

Run from the repository root::

    python benchmarks/speed.py            # full run (< 15 min on 2 cores)
    python benchmarks/speed.py --quick    # smaller scaling points, fewer repeats (~4 min)
    python benchmarks/speed.py --compile  # also torch.compile: raw step at 1 and 2 threads and a
                                          # real train(compile=True) epoch (minutes to compile)

Every measurement runs in a fresh subprocess (clean thread setting, clean peak-RSS counter) and waits
for the machine to be quiet first: the 1-minute load average below ``--max-load``, or, after
``--max-wait`` seconds, other processes using less than ``--max-busy`` cores over a 2 s sample (the
load average also counts this benchmark's own previous run). Measurements taken on a busy machine are
flagged ``contended``. Results go to ``benchmarks/results/speed.json``, ``speed.md``,
``speed_scaling.png`` and ``speed_profile.md``.

Figures:

* raw step: ``zero_grad`` + ``IDMVAEModule.loss`` + ``backward`` + the TrainingPlan's optimiser step on
  one fixed batch, in blocks of steps; the median block gives seconds per step.
* epoch: the real path, ``IDMVAE.train(max_epochs=1 + repeats, batch_size=128, train_size=1.0)``
  timed per epoch by a callback; the first epoch is dropped as warm-up and the median is reported.
* kernel floor: the FLOPs of one TCGA step (``torch.utils.flop_counter``), and every ATen call of
  one recorded step (loss, backward, Adam) replayed with its real arguments and nothing around it:
  the matrix products (``mm``/``addmm``/``bmm``/``baddbmm``) alone, then every other call. No
  implementation that computes the same products can step faster than the first; none that runs
  the same kernels can step faster than the sum (fusing kernels is the only way below it).
* memory: peak resident set size of the worker (``ru_maxrss``) at each stage, against the size of
  the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
N_TCGA = 538

TCGA = dict(
    data="simulate",
    n_obs=N_TCGA,
    n_mod=2,
    n_features=100,
    batch_size=128,
    hyper=dict(
        n_shared=16,
        n_private=32,
        beta=2.5,
        cross_mi_weight=10.0,
        gen_aug_weight=1e-3,
        diffusion_prior=True,
        diffusion_weight=0.1,
        encoder_hidden=(128, 64),
        decoder_hidden=(64, 128),
        diffusion_hidden=512,
        diffusion_steps=1000,
    ),
)
MMVAE_PLUS = {
    **TCGA,
    "hyper": {
        **TCGA["hyper"],
        "cross_mi_weight": 0.0,
        "gen_aug_weight": 0.0,
        "diffusion_prior": False,
    },
}
SMALL_DIFFUSION = {**TCGA, "hyper": {**TCGA["hyper"], "diffusion_hidden": 128}}
# the package defaults for omics (chosen on TCGA-BRCA validation patients): wider MLPs, narrower denoisers
PACKAGE_DEFAULTS = {
    **TCGA,
    "hyper": {
        **TCGA["hyper"],
        "encoder_hidden": (256, 128),
        "decoder_hidden": (128, 256),
        "diffusion_hidden": 128,
    },
}
# 32 x 32 images (the dataset's CPU setting; the paper used 64 x 64) and one batch per epoch: a 64 px
# step takes minutes on 2 contended cores
POLYMNIST = dict(
    data="polymnist",
    n_obs=128,
    image_size=32,
    n_mod=5,
    batch_size=128,
    hyper=dict(
        n_shared=32,
        n_private=128,
        beta=2.5,
        cross_mi_weight=80.0,
        gen_aug_weight=20.0,
        diffusion_prior=True,
        diffusion_weight=1.0,
        diffusion_hidden=512,  # the paper's width (preset paper_polymnist), not the omics default
    ),
)


# ---------------------------------------------------------------------------------------------- worker
def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


REPO = Path(__file__).resolve().parent.parent


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _build(cfg: dict):
    from omicvae.model import IDMVAE

    if cfg["data"] == "simulate":
        from omicvae.datasets import simulate

        mdata = simulate(
            n_obs=cfg["n_obs"], noise=("normal",) * cfg["n_mod"], n_features=cfg["n_features"]
        )
        IDMVAE.setup_mudata(mdata, likelihoods={f"m{i}": "laplace" for i in range(cfg["n_mod"])})
    else:
        from omicvae.datasets import polymnist_quadrant

        mdata = polymnist_quadrant(
            n_views=cfg["n_mod"],
            image_size=cfg["image_size"],
            n_tuples_train=cfg["n_obs"],
            n_tuples_test=0,
        )
        IDMVAE.setup_mudata(mdata)
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in cfg["hyper"].items()}
    return mdata, IDMVAE(mdata, **hyper)


def _data_mb(model) -> float:
    tensors = model._tensors(None)
    return sum(x.numel() * x.element_size() for x in tensors.x) / 2**20


def worker(job: dict) -> dict:
    import torch

    torch.set_num_threads(job["threads"])
    import logging

    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "omicvae"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import lightning.pytorch  # noqa: F401  (imports first, so the RSS stages below measure data only)

    import omicvae.datasets  # noqa: F401
    import omicvae.model  # noqa: F401

    out = {"threads": torch.get_num_threads(), "rss_after_import_mb": _rss_now_mb()}
    mdata, model = _build(job["cfg"])
    out["rss_after_mudata_mb"] = _rss_now_mb()
    out["data_mb"] = _data_mb(model)
    out["rss_after_tensors_mb"] = _rss_now_mb()
    out["n_parameters"] = sum(p.numel() for p in model.module.parameters())
    device = torch.device(job.get("device", "cpu"))
    if job["kind"] == "step":
        out.update(_raw_step(model, job, device))
    elif job["kind"] == "epoch":
        out.update(_epochs(model, job, device))
    elif job["kind"] == "ceiling":
        out.update(_matmul_ceiling(model, job))
    out["rss_peak_mb"] = _rss_peak_mb()
    return out


def _batch(model, batch_size, device):
    from omicvae.data import MultiModalDataset

    batch = MultiModalDataset(model._tensors(None)).__getitems__(list(range(batch_size)))

    def move(v):
        if isinstance(v, list):
            return [move(e) for e in v]
        return None if v is None else v.to(device)

    return {k: move(v) for k, v in batch.items()}


def _optimizer(module, kind):
    import torch

    from omicvae.train import TrainingPlan

    if kind == "plan":  # exactly what training uses
        return TrainingPlan(module).configure_optimizers()
    flags = {
        "plain": dict(foreach=False),
        "foreach": dict(foreach=True),
        "fused": dict(fused=True),
    }[kind]
    return torch.optim.Adam(module.parameters(), lr=5e-4, **flags)


def _raw_step(model, job, device) -> dict:
    import torch

    module = model.module.to(device).train()
    batch = _batch(model, job["cfg"]["batch_size"], device)
    opt = _optimizer(module, job.get("optimizer", "plan"))
    loss_fn = module.loss
    if job.get("compile"):
        loss_fn = torch.compile(module.loss, dynamic=False)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(batch).loss.backward()
        opt.step()

    t0 = time.perf_counter()
    for _ in range(job.get("warmup", 3)):
        step()
    sync()
    warmup_s = time.perf_counter() - t0
    rss_before = _rss_now_mb()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    blocks = []
    for _ in range(job["repeats"]):
        t0 = time.perf_counter()
        for _ in range(job["steps"]):
            step()
        sync()
        blocks.append((time.perf_counter() - t0) / job["steps"])
    res = {
        "warmup_s": warmup_s,
        "step_s_blocks": blocks,
        "step_s": statistics.median(blocks),
        "samples_per_s": job["cfg"]["batch_size"] / statistics.median(blocks),
        "rss_before_steps_mb": rss_before,
    }
    if device.type == "cuda":
        res["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    if job.get("profile"):
        from torch.profiler import ProfilerActivity, profile

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
        with profile(activities=acts) as prof:
            for _ in range(job["steps"]):
                step()
            sync()
        events = prof.key_averages()
        res["profile_table"] = events.table(sort_by="self_cpu_time_total", row_limit=15)
        total = sum(e.self_cpu_time_total for e in events)
        res["profile_self_us"] = {e.key: e.self_cpu_time_total / job["steps"] for e in events}
        res["profile_total_us_per_step"] = total / job["steps"]
    return res


_MATMULS = ("mm", "addmm", "bmm", "baddbmm")


def _median_time(fn, steps: int, repeats: int) -> tuple[float, list[float]]:
    for _ in range(3):
        fn()
    blocks = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        blocks.append((time.perf_counter() - t0) / steps)
    return statistics.median(blocks), blocks


def _matmul_ceiling(model, job) -> dict:
    """FLOPs of one training step and the time of its kernels alone (see module docstring)."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    module = model.module.train()
    batch = _batch(model, job["cfg"]["batch_size"], torch.device("cpu"))
    opt = _optimizer(module, "plan")

    class Record(TorchDispatchMode):
        """Every ATen call of the step with its real arguments (kept alive for the replay)."""

        def __init__(self):
            super().__init__()
            self.calls = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.calls.append((func, args, kwargs or {}))
            return func(*args, **(kwargs or {}))

    def step():
        opt.zero_grad(set_to_none=True)
        module.loss(batch).loss.backward()
        opt.step()

    for _ in range(2):  # optimiser state exists before recording, as in training
        step()
    record = Record()
    with FlopCounterMode(display=False) as counter, record:
        step()
    flops = counter.get_total_flops()
    per_op = counter.get_flop_counts()["Global"]
    matmul_flops = sum(n for op, n in per_op.items() if str(op).split(".")[-1] in _MATMULS)

    def kind(func) -> str:
        return func.__name__.split(".")[0]

    matmuls = [c for c in record.calls if kind(c[0]) in _MATMULS]
    others = [c for c in record.calls if kind(c[0]) not in _MATMULS]

    def replay(calls):
        def run():
            for f, a, kw in calls:
                f(*a, **kw)

        return run

    steps, repeats = job["steps"], job["repeats"]
    matmul_s, blocks = _median_time(replay(matmuls), steps, repeats)
    other_s, _ = _median_time(replay(others), steps, repeats)
    by_kind: dict[str, list] = {}
    for c in others:
        by_kind.setdefault(kind(c[0]), []).append(c)
    kind_ms = {
        k: _median_time(replay(calls), max(1, steps // 2), 3)[0] * 1e3
        for k, calls in by_kind.items()
    }
    top = sorted(kind_ms.items(), key=lambda kv: -kv[1])[:10]
    # the cost of one replayed call that does nothing but dispatch (a view), to read the totals
    probe = torch.zeros(4)
    view_s, _ = _median_time(lambda: torch.ops.aten.view.default(probe, [2, 2]), 1000, 3)
    # the machine's sustained single-precision matmul rate on one large square product
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    t0 = time.perf_counter()
    for _ in range(5):
        a @ b
    peak = 5 * 2 * 2048**3 / (time.perf_counter() - t0)
    return {
        "step_gflop": flops / 1e9,
        "matmul_calls": len(matmuls),
        "matmul_gflop": matmul_flops / 1e9,
        "matmul_s_blocks": blocks,
        "matmul_s": matmul_s,
        "matmul_gflop_per_s": matmul_flops / matmul_s / 1e9,
        "gemm2048_gflop_per_s": peak / 1e9,
        "other_calls": len(others),
        "other_kernels_s": other_s,
        "replay_call_overhead_s": view_s,
        "other_top_kinds_ms": dict((k, {"ms": ms, "calls": len(by_kind[k])}) for k, ms in top),
        "step_s": matmul_s,
        "samples_per_s": job["cfg"]["batch_size"] / matmul_s,
    }


def _epochs(model, job, device) -> dict:
    import lightning.pytorch as pl

    times = []

    class EpochTimer(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            times.append(time.perf_counter() - self.t0)

    rss_before = _rss_now_mb()
    kwargs = dict(
        max_epochs=1 + job["repeats"],
        batch_size=job["cfg"]["batch_size"],
        train_size=1.0,
        enable_progress_bar=False,
        callbacks=[EpochTimer()],
        logger=False,
    )
    if device.type == "cuda":
        kwargs["accelerator"] = "gpu"
    if job.get("limit_batches"):
        kwargs["limit_train_batches"] = job["limit_batches"]
    if job.get("compile"):
        kwargs["compile"] = True  # compiled during the first (dropped) epoch
    model.train(**kwargs)
    n_obs = job["cfg"]["n_obs"]
    steps_full = -(-n_obs // job["cfg"]["batch_size"])
    measured = statistics.median(times[1:])
    epoch_s = measured * steps_full / job["limit_batches"] if job.get("limit_batches") else measured
    return {
        "epoch_s_all": times,
        "epoch_s": epoch_s,
        "epoch_extrapolated": bool(job.get("limit_batches")),
        "samples_per_s": n_obs / epoch_s,
        "rss_before_train_mb": rss_before,
    }


# ------------------------------------------------------------------------------------------ orchestrator
def _cpu_busy(seconds: float = 2.0) -> float:
    """Cores kept busy by all processes over ``seconds`` (this process sleeps meanwhile)."""

    def read():
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v) - idle, sum(v)

    b0, t0 = read()
    time.sleep(seconds)
    b1, t1 = read()
    return (b1 - b0) / max(t1 - t0, 1) * os.cpu_count()


def wait_quiet(args) -> dict:
    start = time.time()
    while True:
        load1 = os.getloadavg()[0]
        busy = _cpu_busy()
        waited = time.time() - start
        if load1 < args.max_load:
            return {"load1": load1, "busy_cores": busy, "waited_s": waited, "contended": False}
        if waited > args.max_wait:
            return {
                "load1": load1,
                "busy_cores": busy,
                "waited_s": waited,
                "contended": busy >= args.max_busy,
            }
        time.sleep(3)


def failure_message(proc: subprocess.CompletedProcess) -> str:
    """Exit status and last non-empty line of stderr of a worker that failed."""
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    return f"exit {proc.returncode}: {lines[-1] if lines else '(no message)'}"


def run_job(args, label: str, allow_failure: bool = False, **job) -> dict:
    job.setdefault("threads", args.threads)
    job.setdefault("repeats", args.repeats)
    partial = Path(args.out) / ".speed_partial.json"
    done = json.loads(partial.read_text()) if partial.exists() else {}
    if args.resume and label in done:
        print(f"[{label}] reused from {partial}", flush=True)
        return done[label]
    gate = wait_quiet(args)
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(job)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        if not allow_failure:
            raise RuntimeError(f"{label} failed:\n{proc.stderr[-4000:]}")
        failure = failure_message(proc)
        print(f"[{label}] failed ({failure})", flush=True)
        return {
            "label": label,
            "failed": failure,
            "config_threads": job["threads"],
            "gate": gate,
        }
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(
        label=label,
        kind=job["kind"],
        config_threads=job["threads"],
        gate=gate,
        load1_after=os.getloadavg()[0],
        wall_s=time.time() - t0,
    )
    rate = f"{res['samples_per_s']:.0f} samples/s"
    timing = (
        f"{res['step_s'] * 1e3:.1f} ms/step"
        if job["kind"] in ("step", "ceiling")
        else f"{res['epoch_s']:.3f} s/epoch"
    )
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps({**done, label: res}, default=str))
    print(
        f"[{label}] {timing}, {rate}, load {gate['load1']:.2f} (busy {gate['busy_cores']:.2f}), "
        f"threads {res['threads']}, peak RSS {res['rss_peak_mb']:.0f} MB",
        flush=True,
    )
    return res


def environment() -> dict:
    import lightning
    import torch

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_default_threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def main(args) -> None:
    quick = args.quick
    steps = 5 if quick else 10
    res: dict = {
        "environment": environment(),
        "quick": quick,
        # paths relative to the repository, so results carry no machine-specific location
        "settings": {
            k: (os.path.relpath(v, REPO) if k == "out" else v) for k, v in vars(args).items()
        },
        "runs": {},
    }
    runs = res["runs"]

    # --- TCGA at the research code's sizes: threads, optimiser variants, real training path
    for th in (1, 2):
        runs[f"tcga_step_t{th}"] = run_job(
            args, f"tcga raw step, {th} thread(s)", kind="step", cfg=TCGA, steps=steps, threads=th
        )
        runs[f"tcga_epoch_t{th}"] = run_job(
            args,
            f"tcga epoch, {th} thread(s)",
            kind="epoch",
            cfg=TCGA,
            threads=th,
            repeats=5 if quick else 7,
        )
    best = min((1, 2), key=lambda th: runs[f"tcga_epoch_t{th}"]["epoch_s"])
    res["best_threads"] = best
    for opt in ("plain", "foreach", "fused"):
        runs[f"tcga_step_adam_{opt}"] = run_job(
            args,
            f"tcga raw step, Adam {opt}",
            kind="step",
            cfg=TCGA,
            steps=steps,
            threads=best,
            optimizer=opt,
        )
    for th in (1, 2):
        runs[f"tcga_ceiling_t{th}"] = run_job(
            args,
            f"tcga matmul ceiling, {th} thread(s)",
            kind="ceiling",
            cfg=TCGA,
            steps=steps,
            threads=th,
        )
    runs["mmvaeplus_step"] = run_job(
        args, "tcga MMVAE+ mode raw step", kind="step", cfg=MMVAE_PLUS, steps=steps, threads=best
    )
    runs["mmvaeplus_epoch"] = run_job(
        args, "tcga MMVAE+ mode epoch", kind="epoch", cfg=MMVAE_PLUS, threads=best
    )
    runs["small_diffusion_epoch"] = run_job(
        args,
        "tcga, diffusion_hidden=128, research MLPs",
        kind="epoch",
        cfg=SMALL_DIFFUSION,
        threads=best,
    )
    runs["defaults_epoch"] = run_job(
        args,
        "tcga, package defaults (256-128 MLPs, 128-wide denoisers)",
        kind="epoch",
        cfg=PACKAGE_DEFAULTS,
        threads=best,
    )
    runs["tcga_profile"] = run_job(
        args, "tcga profile", kind="step", cfg=TCGA, steps=10, threads=best, repeats=1, profile=True
    )
    if args.compile:
        for th in (1, 2):
            runs[f"tcga_step_compiled_t{th}"] = run_job(
                args,
                f"tcga raw step, torch.compile(module.loss), {th} thread(s)",
                allow_failure=True,
                kind="step",
                cfg=TCGA,
                steps=steps,
                threads=th,
                compile=True,
                warmup=3,
            )
        runs["tcga_epoch_compiled"] = run_job(
            args,
            "tcga epoch, train(compile=True)",
            allow_failure=True,
            kind="epoch",
            cfg=TCGA,
            threads=best,
            repeats=5 if quick else 7,
            compile=True,
        )
    poly = POLYMNIST
    runs["polymnist_step"] = run_job(
        args,
        f"polymnist {poly['image_size']}px raw step",
        kind="step",
        cfg=poly,
        steps=1,
        threads=best,
        warmup=1,
        repeats=3,
    )
    runs["polymnist_epoch"] = run_job(
        args,
        f"polymnist {poly['image_size']}px epoch",
        kind="epoch",
        cfg=poly,
        threads=best,
        repeats=3,
    )
    if res["environment"]["cuda_available"]:
        runs["tcga_step_cuda"] = run_job(
            args, "tcga raw step, cuda", kind="step", cfg=TCGA, steps=steps, device="cuda"
        )
        runs["tcga_epoch_cuda"] = run_job(
            args, "tcga epoch, cuda", kind="epoch", cfg=TCGA, device="cuda"
        )

    # --- scaling (2 modalities x 100 features unless varied)
    scaling = res["scaling"] = {"samples": {}, "modalities": {}, "features": {}}
    for n in (1_000, 10_000, 100_000):
        cfg = {**TCGA, "n_obs": n}
        # 100k samples: a fixed 100 steps per epoch, extrapolated to the 782 steps of a full epoch
        limit = 100 if n == 100_000 else None
        reps = 3
        scaling["samples"][n] = run_job(
            args,
            f"scaling samples={n}",
            kind="epoch",
            cfg=cfg,
            threads=best,
            repeats=reps,
            limit_batches=limit,
        )
    for m in (2, 4, 8):
        cfg = {**TCGA, "n_obs": 1_000, "n_mod": m}
        scaling["modalities"][m] = run_job(
            args, f"scaling modalities={m}", kind="epoch", cfg=cfg, threads=best, repeats=3
        )
    for f in (100, 1_000, 5_000) if quick else (100, 1_000, 5_000, 20_000):
        cfg = {**TCGA, "n_obs": 1_000, "n_features": f}
        scaling["features"][f] = run_job(
            args, f"scaling features={f}", kind="epoch", cfg=cfg, threads=best, repeats=3
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    profile_table = runs["tcga_profile"].pop("profile_table")
    (out / "speed.json").write_text(json.dumps(res, indent=1, default=str))
    write_profile(out / "speed_profile.md", runs["tcga_profile"], profile_table, best)
    write_markdown(out / "speed.md", res)
    plot_scaling(out / "speed_scaling.png", scaling)
    print(f"wrote {out}/speed.json, speed.md, speed_scaling.png, speed_profile.md")


# ---------------------------------------------------------------------------------------------- reports
RESEARCH = {"tcga_samples_per_s": 1850, "tcga_epoch_s": 0.29, "mmvaeplus_samples_per_s": 5100}


def _categories(self_us: dict) -> dict:
    cats = {
        "matmul (bmm/baddbmm/mm/addmm)": ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm"),
        "optimizer (fused Adam)": ("aten::_fused_adam_", "Optimizer.step#Adam.step"),
    }
    out = {k: sum(self_us.get(n, 0.0) for n in names) for k, names in cats.items()}
    out["everything else (elementwise, reductions, indexing, autograd bookkeeping)"] = sum(
        self_us.values()
    ) - sum(out.values())
    return out


def write_profile(path: Path, run: dict, table: str, threads: int) -> None:
    cats = _categories(run["profile_self_us"])
    total = sum(cats.values())
    lines = [
        "# Profile of one TCGA training step (research sizes)",
        "",
        f"`python benchmarks/speed.py`: torch.profiler over 10 raw steps (forward + backward + Adam), "
        f"{threads} thread(s), load {run['gate']['load1']:.2f}. Self CPU time, top 15 ops:",
        "",
        "```",
        table.strip(),
        "```",
        "",
        "Self time per step by category:",
        "",
        "| category | ms/step | share |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v / 1e3:.1f} | {v / total:.0%} |" for k, v in cats.items()]
    lines.append("")
    path.write_text("\n".join(lines))


def _fmt_mem(r: dict) -> str:
    return f"{r['rss_peak_mb']:.0f}"


def write_markdown(path: Path, res: dict) -> None:
    env, runs, sc = res["environment"], res["runs"], res["scaling"]
    L = [
        "# Training speed",
        "",
        f"Generated by `python benchmarks/speed.py{' --quick' if res['quick'] else ''}` on {env['date']}: "
        f"{env['cpu']}, {env['cpu_count']} cores, torch {env['torch']}, lightning {env['lightning']}, "
        f"Python {env['python']}. GPU: {'yes' if env['cuda_available'] else 'none on this machine'}.",
        f"Threads for the rows below the thread comparison: {res['best_threads']} (the faster in the "
        "thread comparison). Every figure is the median of >= 3 repeats; `load` is the 1-minute load "
        "average when the measurement started, `busy` the cores other processes used in a 2 s sample.",
        "",
        "## TCGA configuration (2 x 100 features, batch 128, z 16, w 32, diffusion prior on)",
        "",
        "| run | threads | ms/step (raw) | s/epoch (538 samples) | samples/s | peak RSS MB | load / busy |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(name, step=None, epoch=None):
        r = epoch or step
        ms = f"{step['step_s'] * 1e3:.1f}" if step else ""
        ep = f"{epoch['epoch_s']:.3f}" if epoch else ""
        rate = epoch["samples_per_s"] if epoch else step["samples_per_s"]
        L.append(
            f"| {name} | {r['threads']} | {ms} | {ep} | {rate:.0f} | {_fmt_mem(r)} | "
            f"{r['gate']['load1']:.2f} / {r['gate']['busy_cores']:.2f}{' (contended)' if r['gate']['contended'] else ''} |"
        )

    L.append(
        f"| research code (reported in the issue) | 2 | | {RESEARCH['tcga_epoch_s']} | "
        f"{RESEARCH['tcga_samples_per_s']} | | |"
    )
    for th in (1, 2):
        row(
            "omicvae, all terms, raw step / real `train()` epoch",
            runs[f"tcga_step_t{th}"],
            runs[f"tcga_epoch_t{th}"],
        )
    for opt in ("plain", "foreach", "fused"):
        row(f"raw step, Adam {opt}", step=runs[f"tcga_step_adam_{opt}"])
    for th in (1, 2):
        r = runs.get(f"tcga_step_compiled_t{th}")
        if r is None:
            continue
        if "failed" in r:
            L.append(
                f"| raw step, torch.compile(module.loss): **failed** ({r['failed']}) | {th} | | | | | |"
            )
        else:
            row(f"raw step, torch.compile(module.loss) (warm-up {r['warmup_s']:.0f} s)", step=r)
    r = runs.get("tcga_epoch_compiled")
    if r is not None:
        if "failed" in r:
            L.append(
                f"| real `train(compile=True)` epoch: **failed** ({r['failed']}) | | | | | | |"
            )
        else:
            row(
                f"real `train(compile=True)` epoch (the first, {r['epoch_s_all'][0]:.0f} s with "
                "compilation, dropped)",
                epoch=r,
            )
    L.append(
        f"| research code MMVAE+ mode (reported) | 2 | | | {RESEARCH['mmvaeplus_samples_per_s']} | | |"
    )
    row(
        "omicvae MMVAE+ mode (λ1 = λ2 = 0, no diffusion)",
        runs["mmvaeplus_step"],
        runs["mmvaeplus_epoch"],
    )
    row(
        "diffusion_hidden=128, research MLPs (smaller network, not the 3x criterion)",
        epoch=runs["small_diffusion_epoch"],
    )
    if "defaults_epoch" in runs:
        row(
            "package defaults: 256-128 MLPs, 128-wide denoisers (smaller network, not the 3x criterion)",
            epoch=runs["defaults_epoch"],
        )
    if "tcga_step_cuda" in runs:
        r = runs["tcga_step_cuda"]
        row(f"CUDA (max allocated {r['cuda_max_allocated_mb']:.0f} MB)", r, runs["tcga_epoch_cuda"])
    best = runs[f"tcga_epoch_t{res['best_threads']}"]
    L += [
        "",
        f"Speed-up over the research code (real training path, all loss terms): "
        f"{best['samples_per_s'] / RESEARCH['tcga_samples_per_s']:.2f}x "
        f"({best['samples_per_s']:.0f} vs {RESEARCH['tcga_samples_per_s']} samples/s). Goal: >= 3x (5500 samples/s).",
        "",
    ]
    compiled = runs.get("tcga_epoch_compiled")
    if compiled and "failed" not in compiled:
        L += [
            f"With `train(compile=True)` (opt-in): {compiled['samples_per_s']:.0f} samples/s, "
            f"{compiled['samples_per_s'] / RESEARCH['tcga_samples_per_s']:.2f}x the research code, "
            f"after a first epoch of {compiled['epoch_s_all'][0]:.0f} s that compiles the loss "
            "(torch keeps compiled kernels in an on-disk cache, so compilations that earlier rows "
            "of this run, or earlier runs, already did are short).",
            "",
        ]
    if "tcga_ceiling_t1" in runs:
        c1, c2 = runs["tcga_ceiling_t1"], runs["tcga_ceiling_t2"]
        L += [
            "### Kernel floor of the TCGA step (what the hardware allows for this computation)",
            "",
            f"One step (forward + backward, batch 128) is {c1['step_gflop']:.2f} GFLOP, "
            f"{c1['matmul_gflop']:.2f} of them in {c1['matmul_calls']} matrix products. Every ATen call "
            "of one recorded step (loss, backward, Adam) is replayed with its real arguments and "
            "nothing else around it: no Python model code, no autograd engine. `matmul` is the "
            "matrix products alone; `other kernels` every other call (element-wise, reductions, "
            "indexing, views, Adam); a replayed call costs about "
            f"{c1['replay_call_overhead_s'] * 1e6:.1f} µs of dispatch even when it does nothing, "
            "which the `other` column includes.",
            "",
            "| threads | matmul ms/step | matmul GFLOP/s | 2048² sgemm GFLOP/s | matmul-only samples/s | "
            "other kernels ms/step (calls) | matmul + other ms/step | kernels-only samples/s | load / busy |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in (c1, c2):
            both = c["matmul_s"] + c["other_kernels_s"]
            L.append(
                f"| {c['threads']} | {c['matmul_s'] * 1e3:.1f} | {c['matmul_gflop_per_s']:.0f} | "
                f"{c['gemm2048_gflop_per_s']:.0f} | {c['samples_per_s']:.0f} | "
                f"{c['other_kernels_s'] * 1e3:.1f} ({c['other_calls']}) | {both * 1e3:.1f} | "
                f"{128 / both:.0f} | "
                f"{c['gate']['load1']:.2f} / {c['gate']['busy_cores']:.2f}"
                f"{' (contended)' if c['gate']['contended'] else ''} |"
            )
        c = runs[f"tcga_ceiling_t{res['best_threads']}"]
        step = runs[f"tcga_step_t{res['best_threads']}"]["step_s"]
        goal = 128 / 5500
        kernels = c["matmul_s"] + c["other_kernels_s"]
        dispatch = c["other_calls"] * c["replay_call_overhead_s"]
        L += [
            "",
            f"At {c['threads']} thread(s) the 5500 samples/s goal is {goal * 1e3:.1f} ms per step. "
            f"The matrix products alone take {c['matmul_s'] * 1e3:.1f} ms; the other kernels "
            f"{c['other_kernels_s'] * 1e3:.1f} ms, of which about {dispatch * 1e3:.1f} ms is the "
            f"replay's own dispatch, so {max(0.0, c['other_kernels_s'] - dispatch) * 1e3:.1f} ms of "
            f"kernel work. The measured raw step is {step * 1e3:.1f} ms: "
            f"{max(0.0, step - kernels) * 1e3:.1f} ms above the replayed kernels (Python, autograd). "
            + (
                "The matrix products alone already take longer than the goal's step time in this "
                "run: no implementation of the same computation reaches it here."
                if c["matmul_s"] > goal
                else "The kernels of this computation alone exceed the goal's step time: reaching "
                "it would need fewer, fused kernels (the products themselves leave "
                f"{(goal - c['matmul_s']) * 1e3:.1f} ms for everything else)."
                if c["matmul_s"] + max(0.0, c["other_kernels_s"] - dispatch) > goal
                else "The kernels fit in the goal's step time; the rest is overhead."
            ),
            "",
            f"Largest non-matmul kernels, {c['threads']} thread(s), replayed alone (ms per step, calls):",
            "",
            "| kernel | ms/step | calls |",
            "|---|---|---|",
        ]
        for k, v in c["other_top_kinds_ms"].items():
            L.append(f"| {k} | {v['ms']:.2f} | {v['calls']} |")
        L.append("")
    L += [
        "## PolyMNIST-Quadrant configuration (5 views, conv nets, z 32, w 128, λ1 80, λ2 20, λ_diff 1)",
        "",
        "| run | threads | s/step (raw) | s/epoch | samples/s | peak RSS MB | load / busy |",
        "|---|---|---|---|---|---|---|",
    ]
    ps, pe = runs["polymnist_step"], runs["polymnist_epoch"]
    L.append(
        f"| {ps['label']} / {pe['label']} ({pe['data_mb']:.0f} MB data, {ps['n_parameters']:,} parameters) | "
        f"{pe['threads']} | {ps['step_s']:.2f} | {pe['epoch_s']:.2f} ({N_POLY_NOTE}) | {pe['samples_per_s']:.1f} | "
        f"{_fmt_mem(pe)} | {pe['gate']['load1']:.2f} / {pe['gate']['busy_cores']:.2f} |"
    )
    L += [
        "",
        "## Scaling (time per epoch, real `train()` path)",
        "",
        "Memory columns: `data` = the float32 tensors; `after data` = RSS growth from building the MuData and "
        "the tensors (AnnData's matrices are shared with the tensors when they are float32 already); "
        "`train peak` = peak RSS growth during training over the RSS before it.",
        "",
    ]
    for axis, unit in (
        ("samples", "samples"),
        ("modalities", "modalities"),
        ("features", "features / modality"),
    ):
        L += [
            f"| {unit} | s/epoch | samples/s | data MB | after data MB | train peak MB | peak RSS MB | note |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for k, r in sc[axis].items():
            note = "extrapolated from a fixed number of steps" if r["epoch_extrapolated"] else ""
            L.append(
                f"| {k} | {r['epoch_s']:.3f} | {r['samples_per_s']:.0f} | {r['data_mb']:.1f} | "
                f"{r['rss_after_tensors_mb'] - r['rss_after_import_mb']:.1f} | "
                f"{r['rss_peak_mb'] - r['rss_before_train_mb']:.1f} | {r['rss_peak_mb']:.0f} | {note} |"
            )
        L.append("")
    L += ["![scaling](speed_scaling.png)", ""]
    path.write_text("\n".join(L))


N_POLY_NOTE = "1 step of 128"


def plot_scaling(path: Path, sc: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    titles = {
        "samples": "samples (2 x 100 features)",
        "modalities": "modalities (1k samples, 100 features)",
        "features": "features per modality (2 modalities, 1k samples)",
    }
    for ax, (axis, rows) in zip(axes, sc.items(), strict=True):
        xs = [float(k) for k in rows]
        ys = [r["epoch_s"] for r in rows.values()]
        ax.loglog(xs, ys, "o-", label="measured")
        ref = [ys[0] * x / xs[0] for x in xs]
        ax.loglog(xs, ref, "--", color="grey", label="linear from first point")
        if axis == "modalities":
            ax.set_xticks(xs, [str(int(x)) for x in xs])
        ax.set_xlabel(titles[axis])
        ax.set_ylabel("seconds per epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("IDMVAE training time per epoch (batch 128, research network sizes)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller scaling points and fewer repeats")
    p.add_argument(
        "--compile", action="store_true", help="also time torch.compile on the TCGA step"
    )
    p.add_argument(
        "--threads", type=int, default=2, help="default intra-op threads of a measurement"
    )
    p.add_argument(
        "--repeats", type=int, default=5, help="repeats per measurement (median reported)"
    )
    p.add_argument("--max-load", type=float, default=1.3)
    p.add_argument("--max-busy", type=float, default=0.5)
    p.add_argument("--max-wait", type=float, default=20.0)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument(
        "--resume", action="store_true", help="reuse runs already stored in OUT/.speed_partial.json"
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    a = parse()
    if a.worker:
        print(json.dumps(worker(json.loads(a.worker))))
    else:
        main(a)
