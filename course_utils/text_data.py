"""TinyLang, the course's synthetic language in data/, as windows of characters for a model.

The text (about 240 kB, one paragraph per line) was generated once from a probabilistic
grammar with a fixed seed by `data/build_tinylang.py`; it ships with the course, travels inside
the installed package, and its SHA-256 is checked on every load, like the digits. The last
tenth of its paragraphs is held out for validation, so the validation loss is measured on
text the model never trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from .data import DATA_DIR, DataFileError

TEXT_FILE = "tinylang.txt"
TEXT_SHA256 = "ae688ec9fa8238f3535c239d086764a6d5e2d469d538d3195e54292c9eef8910"
# Every character the language uses; a character's index here is its token.
ALPHABET = "\n ().abcdefghijklmnopqrstuvwxyz"
TEXT_SPLITS = ("train", "val")
VAL_FRACTION = 0.1


def _restore_hint() -> str:
    return (
        "In a clone of the course, restore it with `git checkout data/` (run in the folder "
        "that holds data/), or rebuild the same bytes with `python data/build_tinylang.py`. "
        "In an installed course (a wheel, Colab or Kaggle), install the course again the way "
        "you installed it, adding `--force-reinstall --no-deps`."
    )


@lru_cache(maxsize=4)
def _read_text(path: Path) -> str:
    """Read and verify the language file once per process."""
    if not path.is_file():
        raise DataFileError(f"The language data file {path} is missing. {_restore_hint()}")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != TEXT_SHA256:
        raise DataFileError(
            f"The language data file {path} is corrupt: its SHA-256 is {digest[:12]}..., "
            f"expected {TEXT_SHA256[:12]}.... {_restore_hint()}"
        )
    return raw.decode("ascii")


def encode(text: str) -> torch.Tensor:
    """The tokens of `text`: one index into ALPHABET per character."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}.")
    unknown = sorted(set(text) - set(ALPHABET))
    if unknown:
        raise ValueError(f"text may use only the language's characters {ALPHABET!r}; "
                         f"it has {''.join(unknown)!r}.")
    return torch.tensor([ALPHABET.index(c) for c in text], dtype=torch.long)


def decode(tokens: Any) -> str:
    """The characters of a sequence of token indices."""
    return "".join(ALPHABET[int(t)] for t in tokens)


def load_text(split: str = "train", root: str | Path = DATA_DIR) -> str:
    """The `split` ("train" or "val") of TinyLang as text: whole paragraphs, one per line."""
    if not isinstance(split, str) or split not in TEXT_SPLITS:
        raise ValueError(f"split must be one of {list(TEXT_SPLITS)}, not {split!r}.")
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a folder (a str or a Path), not {type(root).__name__}.")
    lines = _read_text(Path(root) / TEXT_FILE).splitlines(keepends=True)
    cut = len(lines) - round(VAL_FRACTION * len(lines))
    return "".join(lines[:cut] if split == "train" else lines[cut:])


class TextWindows(Dataset):
    """Non-overlapping windows of `context` characters; item i is (x, y), y = x moved on by one."""

    def __init__(self, text: str, context: int = 32) -> None:
        from .arguments import whole_number

        self.context = whole_number("context", context, low=1)
        self.tokens = encode(text)
        self.windows = (len(self.tokens) - 1) // self.context
        if self.windows < 1:
            raise ValueError(f"the text ({len(text)} characters) is shorter than one window of "
                             f"context + 1 = {self.context + 1} characters.")
        # Every window and its next character, one row each (a view: no copy).
        self.rows = self.tokens.unfold(0, self.context + 1, self.context)[:self.windows]

    def __len__(self) -> int:
        return self.windows

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -self.windows <= index < self.windows:
            raise IndexError(f"window {index} of {self.windows}")
        row = self.rows[index]
        return row[:-1], row[1:]

    def __getitems__(self, indices: list[int]) -> _WindowBatch:
        """A whole batch with one tensor index, instead of one call per window."""
        return _WindowBatch(self.rows[torch.as_tensor(indices, dtype=torch.long)])

    def __repr__(self) -> str:
        return f"TextWindows(windows={self.windows}, context={self.context})"


class _WindowBatch(Sequence):
    """The (x, y) items of one batch, kept as the rows of one tensor."""

    def __init__(self, rows: torch.Tensor) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        return self.rows[i][:-1], self.rows[i][1:]


def collate_windows(batch: Any) -> list[torch.Tensor]:
    """[x, y]: x is batch x context tokens; y, the next characters, is flattened to match
    the language model's one row of scores per position (so `train` needs no change)."""
    if isinstance(batch, _WindowBatch):
        return [batch.rows[:, :-1], batch.rows[:, 1:].flatten()]
    xs, ys = zip(*batch, strict=True)
    return [torch.stack(xs), torch.stack(ys).flatten()]


def make_text_loaders(
    batch_size: int = 16,
    seed: int = 0,
    context: int = 32,
    epoch_windows: int | None = 512,
    root: str | Path = DATA_DIR,
) -> tuple[DataLoader, DataLoader]:
    """(train, val) DataLoaders of TinyLang windows; `seed` fixes only the training shuffle.

    An "epoch" of the training loader is `epoch_windows` windows drawn afresh, without
    repeats, from all of the training text (None: every window once), so that `train`
    measures the validation loss that often: 512 windows of 32 characters, 32 steps of 16.
    """
    from .arguments import MAX_STEPS, seed_value, whole_number

    batch_size = whole_number("batch_size", batch_size, low=1, high=MAX_STEPS)
    generator = torch.Generator().manual_seed(seed_value("seed", seed))
    windows = TextWindows(load_text("train", root), context)
    if epoch_windows is not None:
        epoch_windows = whole_number("epoch_windows", epoch_windows, low=1)
        if epoch_windows > len(windows):
            raise ValueError(f"epoch_windows must be from 1 to {len(windows)} (every window of "
                             f"the training text), or None; not {epoch_windows}.")
    sampler = RandomSampler(windows, num_samples=epoch_windows, generator=generator)
    train = DataLoader(windows, batch_size=batch_size, sampler=sampler,
                       collate_fn=collate_windows)
    val = DataLoader(TextWindows(load_text("val", root), context), batch_size=256,
                     collate_fn=collate_windows)
    return train, val
