"""The data-parallel helper: a real 2-rank DDP run on the CPU that always cleans up after itself."""

from __future__ import annotations

import multiprocessing
import time

import psutil
import pytest
import torch.distributed as dist

from course_utils import SCHEDULE_PRESETS, preview_schedule, run_data_parallel
from course_utils.distributed import DistributedUnavailable

needs_gloo = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="this PyTorch build has no torch.distributed with gloo")
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the failing schedules below are closures: they need fork")


_BEFORE: set[int] = set()


@pytest.fixture(scope="module", autouse=True)
def _processes_before() -> None:
    """Processes this test process already had (another module's browser driver, say)."""
    _BEFORE.update(p.pid for p in psutil.Process().children(recursive=True))


def children() -> list[psutil.Process]:
    """This process's children started since this module began: what a run left behind."""
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in _BEFORE]


@pytest.fixture(scope="module")
def two_ranks():
    assert children() == []
    run = run_data_parallel(lr=0.1, epochs=2, batch_size=32, world_size=2, schedule="hf_cosine",
                            train_size=640)
    assert children() == []  # every rank has been joined
    return run


@needs_gloo
def test_every_rank_steps_the_same_schedule_once_per_optimizer_step(two_ranks):
    run = two_ranks
    assert run.steps_per_epoch == 640 // 2 // 32 == 10 and run.total_steps == 20
    assert len(run.lrs) == 2 and run.lrs[0] == run.lrs[1]
    expected = preview_schedule(SCHEDULE_PRESETS["hf_cosine"].factory(20), 20, base_lr=0.1)
    assert run.lrs[0] == pytest.approx(expected)


@needs_gloo
def test_the_effective_batch_is_world_size_times_batch(two_ranks):
    run = two_ranks
    assert run.effective_batch == 64
    assert [a + b for a, b in zip(*run.samples, strict=True)] == [64] * run.total_steps
    assert "2 ranks x batch 32 = effective batch 64" in run.summary()


@needs_gloo
def test_ddp_keeps_the_ranks_in_step_and_the_model_learns(two_ranks):
    run = two_ranks
    assert run.weights_agree
    assert len(run.train_loss) == 2 and run.train_loss[1] < run.train_loss[0]
    assert 0.5 < run.val_acc <= 1.0 and run.val_loss < 2.0


@needs_gloo
def test_one_rank_runs_the_same_loop():
    run = run_data_parallel(lr=0.1, epochs=1, batch_size=64, world_size=1, train_size=640)
    assert run.lrs == [[0.1] * 10] and run.weights_agree and children() == []


@needs_gloo
@needs_fork
def test_a_failing_rank_is_reported_and_no_process_outlives_it():
    def broken(optimizer, total_steps):
        raise ValueError(f"no schedule for {total_steps} steps")

    with pytest.raises(RuntimeError) as info:
        run_data_parallel(lr=0.1, epochs=1, world_size=2, schedule=broken, train_size=256)
    assert "Rank 0 of the data-parallel run failed" in str(info.value)
    assert "ValueError: no schedule for 4 steps" in str(info.value)
    assert children() == []


@needs_gloo
@needs_fork
def test_a_run_past_its_timeout_is_stopped_and_its_processes_killed():
    def stuck(optimizer, total_steps):
        time.sleep(60)

    began = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within 1 s"):
        run_data_parallel(lr=0.1, epochs=1, world_size=2, schedule=stuck, train_size=256,
                          timeout=1)
    assert time.monotonic() - began < 20
    assert children() == []


@pytest.mark.parametrize(("available", "gloo", "words"), [
    (False, True, "no torch.distributed"), (True, False, "not its gloo backend")])
def test_without_torch_distributed_or_gloo_the_error_says_so(monkeypatch, available, gloo, words):
    monkeypatch.setattr(dist, "is_available", lambda: available)
    monkeypatch.setattr(dist, "is_gloo_available", lambda: gloo)
    with pytest.raises(DistributedUnavailable, match=words):
        run_data_parallel(lr=0.1)
    assert children() == []


@needs_gloo
@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"world_size": 0}, ValueError, "world_size must be from 1 to 8"),
    ({"world_size": 2.0}, TypeError, "world_size must be a whole number"),
    ({"lr": -1}, ValueError, "lr must be a positive number"),
    ({"optimizer": "adam"}, ValueError, "optimizer must be one of"),
    ({"schedule": "cosinus"}, ValueError, "Unknown schedule 'cosinus'"),
    ({"schedule": "plateau"}, ValueError, "needs a metric"),
    ({"schedule": 3}, TypeError, "schedule must be a preset name"),
    ({"train_size": 40, "batch_size": 32}, ValueError, "20 training images"),
    ({"train_size": 5000}, ValueError, "train_size must be from 1 to 1257"),
    ({"start_method": "teleport"}, ValueError, "start_method must be one of"),
    ({"lr": True}, ValueError, "lr must be a positive number"),
    ({"weight_decay": -0.1}, ValueError, "weight_decay must be 0 or a positive"),
    ({"model": "resnet"}, ValueError, "model must be one of"),
    ({"seed": 1.5}, TypeError, "seed must be a whole number"),
    ({"timeout": 0}, ValueError, "timeout must be a positive"),
])
def test_bad_arguments_are_explained_before_any_process_starts(kwargs, error, words):
    with pytest.raises(error, match=words):
        run_data_parallel(**{"lr": 0.1, **kwargs})
    assert children() == []
