"""TinyLang and the tiny character-level model: shipped, verified, held out, and trainable."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch
from torch import nn

from course_utils import DataFileError, train
from course_utils.char_lm import CharMLP, generate, make_char_lm, uniform_loss
from course_utils.data import DATA_DIR
from course_utils.text_data import (
    ALPHABET,
    TEXT_FILE,
    TEXT_SHA256,
    TextWindows,
    _read_text,
    decode,
    encode,
    load_text,
    make_text_loaders,
)

ROOT = Path(__file__).resolve().parent.parent


def test_the_build_script_makes_the_shipped_bytes():
    spec = importlib.util.spec_from_file_location("build_tinylang",
                                                  ROOT / "data" / "build_tinylang.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.build() == (DATA_DIR / TEXT_FILE).read_bytes()
    assert TEXT_SHA256 in (ROOT / "data" / "README.md").read_text()


def test_validation_text_is_held_out_whole_paragraphs():
    train_text, val_text = load_text("train"), load_text("val")
    assert train_text.endswith("\n") and val_text.startswith("this is the tale of")
    assert 0.08 < len(val_text) / (len(train_text) + len(val_text)) < 0.12
    assert set(train_text) | set(val_text) <= set(ALPHABET)
    assert (DATA_DIR / TEXT_FILE).read_text() == train_text + val_text
    with pytest.raises(ValueError, match=r"\['train', 'val'\]"):
        load_text("test")


def test_encode_decode_round_trip_and_reject_foreign_characters():
    assert decode(encode("the owls sing .\n")) == "the owls sing .\n"
    with pytest.raises(ValueError, match="'Z'"):
        encode("Zebra")
    with pytest.raises(TypeError, match="str"):
        encode(42)


def test_windows_are_the_next_characters():
    ds = TextWindows("abcdefghij", context=3)
    assert len(ds) == 3
    x, y = ds[1]
    assert decode(x) == "def" and decode(y) == "efg"
    with pytest.raises(ValueError, match="shorter than one window"):
        TextWindows("ab", context=4)


def test_loaders_flatten_targets_and_shuffle_by_seed_only():
    train_loader, val_loader = make_text_loaders(batch_size=8, seed=3)
    x, y = next(iter(train_loader))
    assert x.shape == (8, 32) and y.shape == (8 * 32,)
    assert torch.equal(y.view(8, 32)[:, :-1], x[:, 1:])  # y is x moved on by one character
    assert len(train_loader) == 512 // 8  # an epoch is epoch_windows windows
    assert len(make_text_loaders(batch_size=8, epoch_windows=None)[0].dataset) // 8 + 1 == len(
        make_text_loaders(batch_size=8, epoch_windows=None)[0])
    again = next(iter(make_text_loaders(batch_size=8, seed=3)[0]))[0]
    other = next(iter(make_text_loaders(batch_size=8, seed=4)[0]))[0]
    assert torch.equal(x, again) and not torch.equal(x, other)
    assert len(val_loader.dataset) > 300


@pytest.fixture
def text_copy(tmp_path):
    shutil.copy(DATA_DIR / TEXT_FILE, tmp_path / TEXT_FILE)
    _read_text.cache_clear()
    yield tmp_path
    _read_text.cache_clear()


def test_a_missing_file_names_the_file_and_the_fix(text_copy):
    (text_copy / TEXT_FILE).unlink()
    with pytest.raises(DataFileError, match=r"tinylang\.txt is missing.*git checkout data/"):
        load_text("train", text_copy)


def test_a_corrupt_file_names_the_file_and_the_fix(text_copy):
    path = text_copy / TEXT_FILE
    path.write_bytes(path.read_bytes()[:-2] + b"x\n")
    with pytest.raises(DataFileError, match=r"tinylang\.txt is corrupt.*build_tinylang\.py"):
        load_text("train", text_copy)


def test_the_model_is_small_seeded_and_shaped_for_cross_entropy():
    model = make_char_lm(seed=0)
    assert isinstance(model, CharMLP)
    assert sum(p.numel() for p in model.parameters()) < 1_000_000
    before = torch.random.get_rng_state()
    same = make_char_lm(seed=0)
    assert torch.equal(before, torch.random.get_rng_state())
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), same.parameters(),
                                                 strict=True))
    out = model(encode("the owl").unsqueeze(0))
    assert out.shape == (7, len(ALPHABET))
    with pytest.raises(ValueError, match="hidden"):
        make_char_lm(hidden=0)
    # Each position sees only the `window` characters up to it: change an earlier one, and
    # only the positions whose window holds it change.
    x = encode("the owls that the toad sees sing .").unsqueeze(0)
    y = x.clone()
    y[0, 3] = (y[0, 3] + 1) % len(ALPHABET)
    changed = (model(x) - model(y)).abs().sum(1) > 0
    assert changed.nonzero().flatten().tolist() == list(range(3, 3 + model.window))


def test_train_lowers_the_validation_loss_below_knowing_nothing():
    loaders = make_text_loaders(batch_size=32, seed=0)
    model = make_char_lm(seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    history = train(model, loaders, opt, epochs=2, device="cpu", progress=False)
    assert history.final_val_loss < 0.5 * uniform_loss()
    assert history.val_loss[1] < history.val_loss[0]
    assert history.final_val_loss == history.best_val_loss == min(history.val_loss)
    assert 0 < history.final_val_acc < 1  # next-character accuracy
    text = generate(model, "this is the tale of", length=30, seed=1)
    assert text.startswith("this is the tale of") and len(text) == 19 + 30
    assert text == generate(model, "this is the tale of", length=30, seed=1)
    assert isinstance(model, nn.Module) and model.training


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: make_text_loaders(batch_size=0), ValueError, "batch_size"),
    (lambda: make_text_loaders(epoch_windows=10**7), ValueError, "epoch_windows must be from 1"),
    (lambda: make_text_loaders(context="32"), TypeError, "context"),
    (lambda: make_char_lm(window=0), ValueError, "window"),
    (lambda: generate(make_char_lm(), "", length=5), ValueError, "prompt"),
    (lambda: generate(make_char_lm(), "Hello", length=5), ValueError, "'H'"),
])
def test_bad_inputs_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
