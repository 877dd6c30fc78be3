"""compare_recipes: same data, budget and seeds for every recipe, and an honest table."""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler as L

from course_utils import compare_recipes, make_loaders


def _constant(model, epochs, steps_per_epoch):
    return torch.optim.SGD(model.parameters(), lr=0.5), None, "epoch"


def _cosine(model, epochs, steps_per_epoch):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    return opt, L.CosineAnnealingLR(opt, epochs * steps_per_epoch), "batch"


def test_every_recipe_runs_once_per_seed_with_its_own_schedule():
    result = compare_recipes({"constant": _constant, "cosine": _cosine}, epochs=2,
                             seeds=(0, 1), train_size=300)
    assert set(result.runs) == {"constant", "cosine"}
    assert all(len(runs) == 2 for runs in result.runs.values())
    const, cos = result.runs["constant"][0], result.runs["cosine"][0]
    assert len(const.lrs) == len(cos.lrs) == 2 * 5  # 300 images in batches of 64
    assert set(const.lrs) == {0.5} and cos.lrs[-1] < 0.05
    # Seeds change the shuffle and the initial weights, so the runs differ.
    assert result.runs["constant"][0].val_loss != result.runs["constant"][1].val_loss


def test_table_reports_mean_and_spread_best_first():
    result = compare_recipes({"constant": _constant, "cosine": _cosine}, epochs=2, seeds=(0, 1, 2),
                             train_size=300)
    stats = result.stats()
    rows = result.table()
    assert [r[0] for r in rows] == sorted(stats, key=lambda n: -stats[n][0])
    mean, sd, lo, hi = stats["cosine"]
    assert lo <= mean <= hi and sd >= 0
    text = str(result)
    assert "±" in text and "3 seeds each" in text and "diverged" in text


def test_train_size_keeps_a_fixed_subset():
    a = make_loaders(train_size=100, seed=1)[0]
    b = make_loaders(train_size=100, seed=2)[0]
    assert len(a.dataset) == 100
    assert sorted(a.dataset.indices) == sorted(b.dataset.indices)
    with pytest.raises(ValueError, match="train_size"):
        make_loaders(train_size=0)


def _schedule_free(model, epochs, steps_per_epoch):
    import schedulefree

    return (schedulefree.AdamWScheduleFree(model.parameters(), lr=0.02, warmup_steps=5), None,
            "batch")


def _adamw(model, epochs, steps_per_epoch):
    return torch.optim.AdamW(model.parameters(), lr=0.02), None, "batch"


def test_a_schedule_free_recipe_is_scored_on_its_averaged_weights():
    pytest.importorskip("schedulefree")
    result = compare_recipes({"schedule-free": _schedule_free, "constant": _constant}, epochs=2,
                             seeds=(0,), train_size=300)
    run = result.runs["schedule-free"][0]
    assert len(run.val_loss) == 2 and not run.diverged
    assert run.final_val_acc > 0.5


def test_the_language_model_compares_on_validation_loss():
    pytest.importorskip("schedulefree")
    result = compare_recipes({"adamw": _adamw, "schedule-free": _schedule_free}, epochs=1,
                             seeds=(0, 1), model="char_lm", batch_size=16)
    assert result.metric == "final_val_loss"
    runs = result.runs["adamw"]
    assert len(runs) == 2 and len(runs[0].lrs) == 32  # 512 windows in batches of 16
    assert runs[0].val_loss != runs[1].val_loss
    stats = result.stats("final_val_loss")
    rows = result.table()
    assert [r[0] for r in rows] == sorted(stats, key=lambda n: stats[n][0])  # lowest loss first
    assert "val loss after 1 epochs" in str(result) and "%" not in rows[0][1]
    with pytest.raises(ValueError, match="train_size"):
        compare_recipes({"adamw": _adamw}, epochs=1, model="char_lm", train_size=100)
    with pytest.raises(ValueError, match="char_lm"):
        compare_recipes({"adamw": _adamw}, epochs=1, model="gru")
