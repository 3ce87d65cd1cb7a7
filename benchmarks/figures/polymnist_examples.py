"""Plot a few PolyMNIST-Quadrant tuples to docs/images/polymnist_quadrant.png.

Run from the repository root: ``python benchmarks/figures/polymnist_examples.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from omicvae.datasets import polymnist_quadrant  # noqa: E402

QUADRANT_NAMES = {0: "TR", 1: "TL", 2: "BL", 3: "BR"}
OUT = Path(__file__).resolve().parents[2] / "docs" / "images" / "polymnist_quadrant.png"


def main(n_tuples: int = 4, image_size: int = 64) -> Path:
    mdata = polymnist_quadrant(
        image_size=image_size, n_tuples_train=n_tuples, n_tuples_test=0, seed=0
    )
    views = list(mdata.mod)
    fig, axes = plt.subplots(
        n_tuples, len(views), figsize=(1.6 * len(views), 1.75 * n_tuples), squeeze=False
    )
    for i in range(n_tuples):
        for j, view in enumerate(views):
            adata = mdata.mod[view]
            image = adata.X[i].reshape(adata.uns["image_shape"]).transpose(1, 2, 0)
            quadrant = int(adata.obs["quadrant"].iloc[i])
            ax = axes[i, j]
            ax.imshow(image, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(
                f"{view} digit {mdata.obs['digit'].iloc[i]} q{quadrant} {QUADRANT_NAMES[quadrant]}",
                fontsize=7,
            )
    fig.suptitle("PolyMNIST-Quadrant (q: 0 top-right, 1 top-left, 2 bottom-left, 3 bottom-right)",
                 fontsize=8)  # fmt: skip
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)
    plt.close(fig)
    return OUT


if __name__ == "__main__":
    path = main()
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    sys.exit(0)
