"""The UCI handwritten digits, shipped in data/, as a torchvision dataset.

1,797 grey 8x8 images of the digits 0-9, split once and for all into
train (1,257), val (270) and test (270). Nothing is ever downloaded: the file
lives in the repository's data/, travels inside the installed package, and its
SHA-256 is checked on every load.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, default_collate
from torchvision.datasets import VisionDataset
from torchvision.transforms import v2

from course_utils.resources import course_folder

DATA_DIR = course_folder("data_files")
DATA_FILE = "digits.npz"
SHA256 = "fe925b5903af4ba767c775373cf40537af4953dd7ca72313dde4005ff4e5f12c"
SPLITS = {"train": 0, "val": 1, "test": 2}
CLASSES = [str(d) for d in range(10)]
# Mean and spread of the training pixels after scaling to [0, 1].
MEAN, STD = 0.3056, 0.3761


class DataFileError(RuntimeError):
    """The shipped digits file is missing or damaged."""


def _restore_hint(path: Path) -> str:
    return (
        "In a clone of the course, restore it with `git checkout data/` (run in the folder "
        "that holds data/). In an installed course (a wheel, Colab or Kaggle), install the "
        "course again the way you installed it, adding `--force-reinstall --no-deps` (on "
        "Colab or Kaggle, run the pip line of the lesson's first cell with those two options, "
        "then restart the session). "
        "To rebuild the file from scikit-learn instead: `python data/build_digits.py`."
    )


@lru_cache(maxsize=4)
def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read and verify the digits file once per process."""
    if not path.is_file():
        raise DataFileError(f"The digits data file {path} is missing. {_restore_hint(path)}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise DataFileError(
            f"The digits data file {path} is corrupt: its SHA-256 is {digest[:12]}..., "
            f"expected {SHA256[:12]}.... {_restore_hint(path)}"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            return z["images"], z["labels"], z["split"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise DataFileError(f"The digits data file {path} can't be read ({err}). "
                            f"{_restore_hint(path)}") from None


def default_transform() -> v2.Compose:
    """Pixels 0..16 to floats, scaled to [0, 1], then standardised."""
    return v2.Compose(
        [
            v2.ToDtype(torch.float32, scale=False),
            v2.Lambda(lambda x: x / 16.0),
            v2.Normalize(mean=[MEAN], std=[STD]),
        ]
    )


class DigitsDataset(VisionDataset):
    """UCI digits as (1x8x8 float image, label) pairs, for split "train", "val" or "test".

    The default transform runs once over the whole split when it loads, so
    indexing is cheap; a custom `transform` runs per item, as in any
    torchvision dataset.
    """

    def __init__(
        self,
        root: str | Path = DATA_DIR,
        split: str = "train",
        transform: Callable[[torch.Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        super().__init__(str(root), transform=transform, target_transform=target_transform)
        if not isinstance(split, str) or split not in SPLITS:
            raise ValueError(f"split must be one of {list(SPLITS)}, not {split!r}.")
        self.split = split
        images, labels, which = _read_arrays(Path(root) / DATA_FILE)
        keep = which == SPLITS[split]
        self.raw = torch.from_numpy(images[keep].copy()).unsqueeze(1)  # uint8, N x 1 x 8 x 8
        self.targets = torch.from_numpy(labels[keep].astype(np.int64))
        self.data = default_transform()(self.raw) if transform is None else self.raw
        self.classes = CLASSES

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: list[int]) -> Sequence[tuple[Any, Any]]:
        """The items of a batch, fetched with one tensor index instead of one call per image.

        The sequence holds the same (image, label) items as `self[i]` does, so any collate
        function works; it also carries the batch already stacked, which `collate_batch`
        (the course's loaders) uses as it is instead of stacking the items again.
        """
        if self.transform is not None or self.target_transform is not None:
            return [self[i] for i in indices]
        index = torch.as_tensor(indices, dtype=torch.long)
        return _Batch(self.data[index], self.targets[index])

    def __repr__(self) -> str:
        # No root path: it would print a path of this machine into lesson outputs.
        return f"DigitsDataset(split={self.split!r}, images={len(self)}, classes=10)"


class _Batch(Sequence):
    """The (image, label) items of one batch, made on demand from the batch already stacked."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor) -> None:
        self.stacked = (images, targets)

    def __len__(self) -> int:
        return len(self.stacked[1])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        images, targets = self.stacked
        return images[i], int(targets[i])


def collate_batch(batch: Any) -> Any:
    """The course loaders' collate: [images, labels], as `default_collate` gives, but faster.

    A batch the dataset stacked itself passes through; any other is stacked as usual.
    """
    if isinstance(batch, _Batch):
        return list(batch.stacked)
    return default_collate(batch)


def load_digits(split: str = "train", root: str | Path = DATA_DIR) -> DigitsDataset:
    """The fixed `split` ("train", "val" or "test") of the shipped digits."""
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a folder (a str or a Path), not {type(root).__name__}.")
    return DigitsDataset(root, split)


def make_loaders(
    batch_size: int = 64,
    seed: int = 0,
    root: str | Path = DATA_DIR,
    train_size: int | None = None,
) -> tuple[DataLoader, DataLoader, DataLoader]:
    """(train, val, test) DataLoaders; `seed` fixes only the training shuffle order.

    `train_size` keeps a fixed subset of that many training images (the same
    subset whatever the seed), for experiments on less data.
    """
    from .arguments import MAX_STEPS, seed_value, whole_number

    batch_size = whole_number("batch_size", batch_size, low=1, high=MAX_STEPS)
    generator = torch.Generator().manual_seed(seed_value("seed", seed))
    train_set: Dataset = load_digits("train", root)
    if train_size is not None:
        if not 1 <= whole_number("train_size", train_size) <= len(train_set):
            raise ValueError(f"train_size must be from 1 to {len(train_set)}, not {train_size}.")
        keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(0))
        train_set = Subset(train_set, keep[:train_size].tolist())
    train = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator,
                       collate_fn=collate_batch)
    val = DataLoader(load_digits("val", root), batch_size=512, collate_fn=collate_batch)
    test = DataLoader(load_digits("test", root), batch_size=512, collate_fn=collate_batch)
    return train, val, test


def show_digits(split: str = "train", n: int = 32, ax: Any = None) -> Any:
    """Draw the first `n` images of a split as one grid, titled with their labels."""
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    from .arguments import whole_number

    ds = load_digits(split)
    n = min(whole_number("n", n, low=1), len(ds))
    grid = make_grid(ds.raw[:n].float() / 16.0, nrow=min(n, 16), padding=1, pad_value=1.0)
    ax = ax or plt.gca()
    ax.imshow(grid[0].numpy(), cmap="gray_r", interpolation="nearest")
    ax.set_axis_off()
    labels = " ".join(str(int(t)) for t in ds.targets[:n])
    ax.set_title(f"The first {n} {split} digits: {labels}", fontsize=9)
    return ax
