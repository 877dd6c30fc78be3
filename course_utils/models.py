"""Two tiny networks for 8x8 digits, each built from a seed so runs repeat."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from .arguments import seed_value, whole_number

MAX_WIDTH = 4096  # hidden units or channels: far more than the digits need


class TinyMLP(nn.Module):
    """64 pixels -> `hidden` ReLU units -> 10 class scores."""

    def __init__(self, hidden: int = 64) -> None:
        hidden = whole_number("hidden", hidden, low=1, high=MAX_WIDTH)
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyCNN(nn.Module):
    """Two 3x3 convolutions with pooling, then a linear layer to 10 class scores."""

    def __init__(self, channels: int = 8) -> None:
        channels = whole_number("channels", channels, low=1, high=MAX_WIDTH)
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # -> 2x2
        )
        self.head = nn.Linear(2 * channels * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


MODELS = {"mlp": TinyMLP, "cnn": TinyCNN}


def make_model(kind: str = "mlp", seed: int = 0, **kwargs: Any) -> nn.Module:
    """A fresh `kind` ("mlp" or "cnn") whose initial weights depend only on `seed`."""
    if not isinstance(kind, str) or kind not in MODELS:
        raise ValueError(f"kind must be one of {sorted(MODELS)}, not {kind!r}.")
    seed = seed_value("seed", seed)
    accepted = [name for name in inspect.signature(MODELS[kind]).parameters]
    for name in kwargs:
        if name not in accepted:
            raise TypeError(f"make_model({kind!r}) accepts only {' and '.join(accepted)}, "
                            f"not {name!r}.")
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return MODELS[kind](**kwargs)
    finally:
        # Building a model should not disturb the learner's own random stream.
        torch.random.set_rng_state(state)
