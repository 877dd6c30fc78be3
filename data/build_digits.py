"""One-off script that builds data/digits.npz from scikit-learn's bundled copy of the
UCI handwritten digits. Run it only to rebuild the file; the course itself never
imports scikit-learn.

    python -m pip install scikit-learn
    python data/build_digits.py
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
SEED = 0


def main() -> None:
    """Write digits.npz with fixed, stratified train/val/test splits, and print its SHA-256."""
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # values 0..16
    labels = bunch.target.astype(np.uint8)
    index = np.arange(len(labels))
    _, rest = train_test_split(index, test_size=0.3, stratify=labels, random_state=SEED)
    val_idx, test_idx = train_test_split(
        rest, test_size=0.5, stratify=labels[rest], random_state=SEED
    )
    split = np.zeros(len(labels), dtype=np.uint8)
    split[val_idx] = 1
    split[test_idx] = 2
    out = HERE / "digits.npz"
    # np.savez_compressed stamps the zip with today's date; a fixed date keeps the hash stable.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in (("images", images), ("labels", labels), ("split", split)):
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    counts = np.bincount(split)
    print(f"wrote {out.name}: {len(labels)} images, splits {counts.tolist()}, sha256 {digest}")


if __name__ == "__main__":
    main()
