"""Interleaved A/B timing of the TCGA training step: two source trees, or eager against torch.compile.

This machine's throughput drifts by tens of percent within minutes, so figures from separate runs of
``speed.py`` cannot show a 10-20 % change. Here every variant runs once per round, in turn, in a fresh
``speed.py --worker`` process, for several rounds; the comparison is the per-round ratio.

    git worktree add /tmp/before <commit>
    python benchmarks/speed_ab.py --tree before=/tmp/before --tree after=. --compile \\
        --out benchmarks/results/speed_ab.json

Each ``--tree NAME=PATH`` imports ``omicvae`` from ``PATH`` (the timing code is this checkout's
``speed.py``). ``--compile`` adds the last tree with ``torch.compile(module.loss)``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speed  # noqa: E402


def _commit(tree: Path) -> str:
    """The tree's commit, with ``+changes`` when its tracked files differ from it."""
    git = ["git", "-C", str(tree)]
    head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(git + ["status", "--porcelain", "-uno"], capture_output=True, text=True)
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


def run_worker(tree: Path, job: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    proc = subprocess.run(
        [sys.executable, str(HERE / "speed.py"), "--worker", json.dumps(job, default=list)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        return {"failed": speed.failure_message(proc)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tree", action="append", required=True, help="NAME=PATH of a source tree")
    p.add_argument("--compile", action="store_true", help="also the last tree with torch.compile")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(HERE / "results" / "speed_ab.json"))
    args = p.parse_args(argv)
    trees = dict(t.split("=", 1) for t in args.tree)
    base = dict(cfg=speed.TCGA, threads=args.threads)
    variants = []
    for name, path in trees.items():
        variants.append((f"{name} raw step", path, dict(base, kind="step", steps=10, repeats=5)))
        variants.append((f"{name} epoch", path, dict(base, kind="epoch", repeats=10)))
    if args.compile:
        name, path = list(trees.items())[-1]
        job = dict(base, kind="step", steps=10, repeats=5, compile=True, warmup=3)
        variants.append((f"{name} raw step, torch.compile", path, job))
    rounds = []
    for r in range(args.rounds):
        row = {}
        for label, path, job in variants:
            t0 = time.time()
            res = run_worker(Path(path), job)
            res["wall_s"] = time.time() - t0
            row[label] = res
            rate = res.get("samples_per_s")
            print(f"round {r} {label}: {rate and round(rate)} samples/s {res.get('failed', '')}")
        rounds.append(row)
    summary = {}
    for label, _, _ in variants:
        rates = [rw[label]["samples_per_s"] for rw in rounds if "samples_per_s" in rw[label]]
        summary[label] = {
            "samples_per_s": rates,
            "median": statistics.median(rates) if rates else None,
            "failed": [rw[label]["failed"] for rw in rounds if "failed" in rw[label]],
        }
    names = list(trees)
    ratios = {}
    if len(names) == 2:
        for kind in ("raw step", "epoch"):
            a, b = f"{names[0]} {kind}", f"{names[1]} {kind}"
            per_round = [
                rw[b]["samples_per_s"] / rw[a]["samples_per_s"]
                for rw in rounds
                if "samples_per_s" in rw[a] and "samples_per_s" in rw[b]
            ]
            ratios[f"{names[1]} / {names[0]}, {kind}"] = per_round
    if args.compile:
        a, b = f"{names[-1]} raw step", f"{names[-1]} raw step, torch.compile"
        ratios["torch.compile / eager, raw step"] = [
            rw[b]["samples_per_s"] / rw[a]["samples_per_s"]
            for rw in rounds
            if "samples_per_s" in rw[a] and "samples_per_s" in rw[b]
        ]
    out = {
        "command": "python benchmarks/speed_ab.py "
        + " ".join(a if "=" not in a else a.split("=")[0] + "=<tree>" for a in sys.argv[1:]),
        "environment": speed.environment(),
        "trees": {k: _commit(Path(v)) for k, v in trees.items()},
        "configuration": "TCGA, research sizes (speed.TCGA)",
        "threads": args.threads,
        "rounds": rounds,
        "summary": summary,
        "ratios": {
            k: {"per_round": v, "median": statistics.median(v) if v else None}
            for k, v in ratios.items()
        },
    }
    Path(args.out).write_text(json.dumps(out, indent=1, default=str))
    for k, v in out["ratios"].items():
        print(
            k,
            [round(x, 3) for x in v["per_round"]],
            "median",
            v["median"] and round(v["median"], 3),
        )
    print("wrote", args.out)


if __name__ == "__main__":
    main()
