"""Training speed of IDMVAE: the README's speed table (``results/speed.json``, ``results/speed.md``).

Run from the repository root on an otherwise idle machine::

    python benchmarks/speed.py               # the table (a few minutes on 2 cores)
    python benchmarks/speed.py --compile     # plus model.train(compile=True) (minutes to compile)
    python benchmarks/speed.py --report benchmarks/results/speed.json   # only rewrite speed.md
    python benchmarks/speed.py --ab before=/tmp/before --ab after=.   # interleaved A/B, see below

The configuration is the paper's TCGA network (``preset="paper_tcga"``: z 16, w 32, MLPs 128-64 /
64-128, three 512-wide diffusion denoisers with T = 1000, every loss term on) on data of the research
code's size: 538 simulated samples, two Laplace modalities of 100 features, batch 128.

* **epoch**: the real path, ``model.train(max_epochs=1 + repeats, batch_size=128, train_size=1.0)``
  timed per epoch by a callback; the first epoch (warm-up, or compilation) is dropped and the median
  of the others is reported. At 100,000 samples an epoch is 100 steps, scaled to the full epoch.
* **raw step**: ``zero_grad``, ``model.module.loss`` on one fixed batch, ``backward`` and the training
  plan's optimiser step, in blocks of 10 steps; the median block, without Lightning around it.

Each measurement runs in a fresh process (its own thread count and peak memory) and records the
1-minute load average at its start: figures taken on a busy machine are not comparable, and even an
idle shared machine drifts by tens of percent within minutes. ``--ab NAME=PATH`` (two or more) compares
source trees the drift-proof way: each round times every tree once, in turn, importing ``omicvae``
from ``PATH``, and the comparison is the per-round ratio (``results/speed_ab.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

RESEARCH = {"tcga_samples_per_s": 1850, "mmvaeplus_samples_per_s": 5100}
"""The research code's figures on this machine, 2 threads (reported in the project's issue 7)."""
TCGA = {"n_obs": 538, "n_mod": 2, "n_features": 100, "batch_size": 128, "model": "paper_tcga"}
GOAL = 5500
"""Samples/s of the speed goal: 3x the research code, as the goal was set."""


# ------------------------------------------------------------------------ one measurement (worker)
def build(cfg: dict):
    """Simulated Laplace data of ``cfg``'s size and an untrained model of ``cfg["model"]``.

    ``"paper_tcga"``: ``ov.IDMVAE(preset="paper_tcga")``; ``"mmvaeplus"``: the same networks with
    the MMVAE+ objective; ``"defaults"``: the package defaults.
    """
    import omicvae as ov

    mdata = ov.datasets.simulate(
        n_obs=cfg["n_obs"], noise=("normal",) * cfg["n_mod"], n_features=cfg["n_features"]
    )
    ov.IDMVAE.setup_mudata(mdata, likelihoods={m: "laplace" for m in mdata.mod})
    if cfg["model"] == "defaults":
        return ov.IDMVAE(mdata)
    # ov.MMVAEPlus(preset="paper_tcga") refuses the preset's independence_weight=0 (a weight it fixes)
    extra = C.MMVAE_PLUS if cfg["model"] == "mmvaeplus" else {}
    return ov.IDMVAE(mdata, preset="paper_tcga", **extra)


def time_epochs(model, job: dict) -> dict:
    """Seconds per epoch of ``model.train`` (median after the first) and samples per second."""
    import lightning.pytorch as pl

    times = []

    class EpochTimer(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            times.append(time.perf_counter() - self.t0)

    cfg, limit = job["cfg"], job.get("limit_batches")
    model.train(
        max_epochs=1 + job["repeats"],
        batch_size=cfg["batch_size"],
        train_size=1.0,
        enable_progress_bar=False,
        callbacks=[EpochTimer()],
        logger=False,
        **({"compile": True} if job.get("compile") else {}),
        **({"limit_train_batches": limit} if limit else {}),
        **({"accelerator": "gpu", "devices": 1} if job.get("device") == "cuda" else {}),
    )
    epoch_s = statistics.median(times[1:])
    if limit:  # a fixed number of steps, scaled to a full epoch
        epoch_s *= -(-cfg["n_obs"] // cfg["batch_size"]) / limit
    return {
        "epoch_s_all": times,
        "epoch_s": epoch_s,
        "epoch_extrapolated": bool(limit),
        "samples_per_s": cfg["n_obs"] / epoch_s,
    }


def time_step(model, job: dict) -> dict:
    """Seconds per raw training step (median of ``repeats`` blocks of 10) and samples per second."""
    import torch
    from torch.utils.data import DataLoader

    from omicvae.data import MultiModalDataset, build_tensors, collate_batch
    from omicvae.train import TrainingPlan

    device = torch.device(job.get("device", "cpu"))
    module = model.module.to(device).train()
    data = MultiModalDataset(build_tensors(model.mdata, model.registry))
    loader = DataLoader(data, batch_size=job["cfg"]["batch_size"], collate_fn=collate_batch)

    def to_device(value):
        if isinstance(value, list):
            return [to_device(v) for v in value]
        return None if value is None else value.to(device)

    batch = {key: to_device(value) for key, value in next(iter(loader)).items()}
    optimiser = TrainingPlan(module).configure_optimizers()
    loss = torch.compile(module.loss, dynamic=False) if job.get("compile") else module.loss
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def steps(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            optimiser.zero_grad(set_to_none=True)
            loss(batch).loss.backward()
            optimiser.step()
        sync()
        return (time.perf_counter() - t0) / n

    steps(3)  # warm-up: allocations, the optimiser's state, compilation
    step_s = statistics.median(steps(10) for _ in range(job["repeats"]))
    return {"step_s": step_s, "samples_per_s": job["cfg"]["batch_size"] / step_s}


def worker(job: dict) -> dict:
    """Build the model of ``job["cfg"]`` and time it (``job["kind"]``: ``"epoch"`` or ``"step"``)."""
    C.quiet_environment(job["threads"])
    model = build(job["cfg"])
    out = (time_epochs if job["kind"] == "epoch" else time_step)(model, job)
    out["threads"] = job["threads"]
    out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return out


# ------------------------------------------------------------------------------- orchestration
def measure(label: str, tree: str | None = None, **job) -> dict:
    """Run one job in a fresh process (importing ``omicvae`` from ``tree`` if given)."""
    env = dict(os.environ, **({"PYTHONPATH": str(Path(tree).resolve())} if tree else {}))
    load1 = os.getloadavg()[0]
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        print(f"[{label}] failed: {lines[-1] if lines else proc.returncode}", flush=True)
        return {"label": label, "failed": lines[-1] if lines else f"exit {proc.returncode}"}
    res = {**json.loads(proc.stdout.strip().splitlines()[-1]), "label": label, "load1": load1}
    print(f"[{label}] {res['samples_per_s']:.0f} samples/s, load {load1:.2f}", flush=True)
    return res


def environment() -> dict:
    """Machine, versions and date of a run."""
    import lightning
    import torch

    return {
        **C.machine_info(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "cuda_available": torch.cuda.is_available(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def run_table(args) -> dict:
    """Every row of the speed table; the scaling rows vary one size of the TCGA configuration."""
    th, reps = args.threads, args.repeats
    one = dict(threads=th, repeats=reps)
    runs = {
        f"tcga_step_t{th}": measure("raw step", kind="step", cfg=TCGA, **one),
        f"tcga_epoch_t{th}": measure("model.train()", kind="epoch", cfg=TCGA, **one),
    }
    if args.compile:
        runs["tcga_epoch_compiled"] = measure(
            "model.train(compile=True)", kind="epoch", cfg=TCGA, compile=True, **one
        )
    for name in ("mmvaeplus", "defaults"):
        cfg = dict(TCGA, model=name)
        runs[f"{name}_epoch"] = measure(f"{name} model.train()", kind="epoch", cfg=cfg, **one)
    if environment()["cuda_available"]:
        cuda = dict(one, cfg=TCGA, device="cuda")
        runs["tcga_step_cuda"] = measure("raw step, CUDA", kind="step", **cuda)
        runs["tcga_epoch_cuda"] = measure("model.train(), CUDA", kind="epoch", **cuda)
    scaling = {"samples": {}, "modalities": {}}
    for n in (1_000, 10_000, 100_000):
        cfg, limit = dict(TCGA, n_obs=n), 100 if n == 100_000 else None
        scaling["samples"][str(n)] = measure(
            f"{n} samples", kind="epoch", cfg=cfg, limit_batches=limit, threads=th, repeats=3
        )
    for m in (2, 4, 8):
        cfg = dict(TCGA, n_obs=1_000, n_mod=m)
        scaling["modalities"][str(m)] = measure(
            f"{m} modalities", kind="epoch", cfg=cfg, threads=th, repeats=3
        )
    return {"runs": runs, "scaling": scaling}


def _commit(tree: str) -> str:
    """The short commit of a source tree, with ``+changes`` when its tracked files differ from it."""
    git = ["git", "-C", tree]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "-uno"], capture_output=True, text=True)
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


def run_ab(args) -> dict:
    """Interleaved rounds over the ``--ab`` trees; the comparisons are per-round ratios.

    Each round times the raw step (5 blocks) and an epoch (median of 10) of every tree, and with
    ``--compile`` the raw step of the last tree with ``torch.compile(module.loss)``.
    """
    trees = dict(t.split("=", 1) for t in args.ab)
    job = dict(cfg=TCGA, threads=args.threads)
    variants = {}
    for name, path in trees.items():
        variants[f"{name} raw step"] = (path, dict(job, kind="step", repeats=5))
        variants[f"{name} epoch"] = (path, dict(job, kind="epoch", repeats=10))
    first, *others = trees
    pairs = {
        f"{other} / {first}, {kind}": (f"{first} {kind}", f"{other} {kind}")
        for other in others
        for kind in ("raw step", "epoch")
    }
    if args.compile:
        last = list(trees)[-1]
        compiled = dict(job, kind="step", repeats=5, compile=True)
        variants[f"{last} raw step, torch.compile"] = (trees[last], compiled)
        pairs["torch.compile / eager, raw step"] = (
            f"{last} raw step",
            f"{last} raw step, torch.compile",
        )
    rounds = [
        {v: measure(f"round {i} {v}", tree, **j) for v, (tree, j) in variants.items()}
        for i in range(args.rounds)
    ]
    rate = {label: [r[label].get("samples_per_s") for r in rounds] for label in variants}
    ratios = {}
    for name, (a, b) in pairs.items():
        per_round = [y / x for x, y in zip(rate[a], rate[b], strict=True) if x and y]
        ratios[name] = {"per_round": per_round, "median": statistics.median(per_round or [0])}
    return {
        "trees": {name: _commit(path) for name, path in trees.items()},
        "rounds": rounds,
        "summary": {k: {"samples_per_s": v} for k, v in rate.items()},
        "ratios": ratios,
    }


# ------------------------------------------------------------------------------------- report
COLUMNS = ["s/epoch", "samples/s", "peak RSS MB", "load"]


def _cells(r: dict, step: dict | None = None, research: int | None = None) -> list[str]:
    """ms/step, s/epoch, samples/s, peak RSS and load of an epoch run (and its raw step)."""
    if "failed" in r:
        return ["", f"failed: {r['failed']}", "", "", ""]
    note = " (100 steps, scaled)" if r.get("epoch_extrapolated") else ""
    load = r.get("load1", r.get("gate", {}).get("load1"))  # records of the earlier script: gate
    return [
        f"{step['step_s'] * 1e3:.1f}" if step and "step_s" in step else "",
        f"{r['epoch_s']:.3f}{note}" if "epoch_s" in r else "",
        f"{r['samples_per_s']:.0f}" + (f" (research code {research})" if research else ""),
        f"{r['rss_peak_mb']:.0f}",
        f"{load:.2f}",
    ]


def markdown(res: dict) -> str:
    """The speed table of a ``speed.json``: the rows the README quotes, then the scaling rows."""
    env, runs, th = res["environment"], res["runs"], res["settings"]["threads"]
    epoch, step = runs[f"tcga_epoch_t{th}"], runs[f"tcga_step_t{th}"]
    rows = [["IDMVAE, `model.train()`", *_cells(epoch, step, RESEARCH["tcga_samples_per_s"])]]
    for key, name, research in (
        ("tcga_epoch_compiled", "IDMVAE, `model.train(compile=True)`", None),
        ("mmvaeplus_epoch", "MMVAE+ objective, same networks", RESEARCH["mmvaeplus_samples_per_s"]),
        ("defaults_epoch", "package defaults (not the paper's network)", None),
    ):
        if key in runs:
            rows.append([name, *_cells(runs[key], research=research)])
    if "tcga_epoch_cuda" in runs:
        rows.append(["IDMVAE on CUDA", *_cells(runs["tcga_epoch_cuda"], runs["tcga_step_cuda"])])
    lines = [
        "# Training speed",
        "",
        f"`{res['command']}` on {env['date']}: {env['cpu']}, {env['cpu_count']} cores, {th} torch "
        f"threads, torch {env['torch']}, lightning {env['lightning']}. {res.get('note', '')}",
        "",
        'The paper\'s TCGA network (`preset="paper_tcga"`) on 538 simulated samples, two Laplace '
        "modalities of 100 features, batch 128, every loss term on (`benchmarks/speed.py`). "
        "`load`: the 1-minute load average when the measurement started.",
        "",
        C.markdown_table(["run", "ms/step (raw)", *COLUMNS], rows),
    ]
    if "samples_per_s" in epoch:
        ratio = epoch["samples_per_s"] / RESEARCH["tcga_samples_per_s"]
        goal = f"the goal: 3x, {GOAL} samples/s"
        lines += ["", f"`model.train()`: {ratio:.2f}x the research code ({goal})."]
    lines += ["", "## Scaling: one size of the configuration above varied, `model.train()`", ""]
    for axis, by_size in res["scaling"].items():
        table = [[size, *_cells(run)[1:]] for size, run in by_size.items()]
        lines += [C.markdown_table([axis, *COLUMNS], table), ""]
    return "\n".join(lines)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--compile", action="store_true", help="add model.train(compile=True)")
    p.add_argument("--threads", type=int, default=2, help="torch threads of every measurement")
    p.add_argument("--repeats", type=int, default=5, help="timed epochs / step blocks (median)")
    p.add_argument("--out", default=str(C.RESULTS), help="results folder")
    p.add_argument("--report", metavar="JSON", help="only write speed.md from this speed.json")
    p.add_argument("--ab", action="append", metavar="NAME=PATH", help="a source tree to compare")
    p.add_argument("--rounds", type=int, default=6, help="rounds of the --ab comparison")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(args) -> None:
    """Write the table (``speed.json``, ``speed.md``), the A/B comparison, or only the report."""
    out = Path(args.out)
    if args.report:
        res = json.loads(Path(args.report).read_text())
        (Path(args.report).parent / "speed.md").write_text(markdown(res))
        return
    head = {"command": "python " + " ".join(sys.argv), "environment": environment()}
    head["settings"] = {k: v for k, v in vars(args).items() if k in ("threads", "repeats")}
    out.mkdir(parents=True, exist_ok=True)
    if args.ab:
        C.write_json(out / "speed_ab.json", {**head, **run_ab(args)})
        return
    res = {**head, **run_table(args)}
    C.write_json(out / "speed.json", res)
    (out / "speed.md").write_text(markdown(res))
    print(f"wrote {out}/speed.json and speed.md")


if __name__ == "__main__":
    a = parse()
    if a.worker:
        print(json.dumps(worker(json.loads(a.worker))))
    else:
        main(a)
