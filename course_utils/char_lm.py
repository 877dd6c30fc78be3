"""A tiny character-level language model for TinyLang, built from a seed so runs repeat."""

from __future__ import annotations

import math

import torch
from torch import nn

from .arguments import seed_value, whole_number
from .models import MAX_WIDTH
from .text_data import ALPHABET, decode, encode


class CharMLP(nn.Module):
    """The last `window` characters -> their embeddings -> a ReLU layer -> next-character scores.

    Bengio et al.'s (2003) neural language model, at character scale: each position sees
    only the `window` characters before it (the window starts empty at the start of a
    text). `model(x)` takes a batch of token windows (batch x context) and returns one row of
    scores per position, flattened to (batch * context) x vocabulary: the shape that
    `nn.CrossEntropyLoss` and `train`'s accuracy expect with the targets of
    `make_text_loaders`. Its validation accuracy is next-character accuracy.
    """

    def __init__(self, window: int = 8, embedding: int = 8, hidden: int = 64) -> None:
        self.window = whole_number("window", window, low=1, high=MAX_WIDTH)
        embedding = whole_number("embedding", embedding, low=1, high=MAX_WIDTH)
        hidden = whole_number("hidden", hidden, low=1, high=MAX_WIDTH)
        super().__init__()
        self.embed = nn.Embedding(len(ALPHABET), embedding)
        # One linear layer on each window of `window` embeddings, all windows at once: a
        # Conv1d whose kernel spans the window is exactly that, and much faster than a loop.
        self.hidden = nn.Conv1d(embedding, hidden, kernel_size=self.window)
        self.head = nn.Linear(hidden, len(ALPHABET))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Zeros before the first character: "nothing yet", unlike any real character.
        e = nn.functional.pad(self.embed(x).transpose(1, 2), (self.window - 1, 0))
        h = torch.relu(self.hidden(e)).transpose(1, 2)  # batch x context x hidden
        return self.head(h).flatten(0, 1)


def make_char_lm(seed: int = 0, window: int = 8, embedding: int = 8, hidden: int = 64) -> CharMLP:
    """A fresh CharMLP whose initial weights depend only on `seed`."""
    seed = seed_value("seed", seed)
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return CharMLP(window, embedding, hidden)
    finally:
        # Building a model should not disturb the learner's own random stream.
        torch.random.set_rng_state(state)


def uniform_loss() -> float:
    """The loss of a model that knows nothing: log(vocabulary size), in nats per character."""
    return math.log(len(ALPHABET))


MAX_LENGTH = 100_000  # characters generate writes at most: pages of text, seconds of work


@torch.no_grad()
def generate(model: nn.Module, prompt: str = "this is the tale of", length: int = 80,
             seed: int = 0) -> str:
    """`prompt` continued by `length` characters sampled from the model, seeded."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a language model (make_char_lm() gives one), "
                        f"not {type(model).__name__}.")
    length = whole_number("length", length, low=0, high=MAX_LENGTH)
    generator = torch.Generator().manual_seed(seed_value("seed", seed))
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, not {type(prompt).__name__}.")
    tokens = encode(prompt)
    if len(tokens) == 0:
        raise ValueError("prompt must have at least one character.")
    was_training = model.training
    model.eval()
    for _ in range(length):
        scores = model(tokens[None, -64:])[-1]
        nxt = torch.multinomial(torch.softmax(scores, 0), 1, generator=generator)
        tokens = torch.cat([tokens, nxt])
    model.train(was_training)
    return prompt + decode(tokens[len(prompt):])
