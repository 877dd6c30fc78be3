"""A real data-parallel run: DistributedDataParallel with the gloo backend, on the CPU.

`run_data_parallel` starts `world_size` processes on this machine, each training
the same network on its own shard of the shipped digits; DDP averages their
gradients at every step, so each rank's optimizer takes the same step. The
processes meet only on 127.0.0.1: the parent hosts the rendezvous store on a
port the system picks. On Linux the ranks are forked from the running kernel
(torch is already imported there, so they start in milliseconds); elsewhere
they are spawned, which costs an `import torch` each.

Each rank's output goes to a log file, not into the notebook; a rank that
fails sends its traceback home, and every process is joined (or killed) before
the call returns or raises.
"""

from __future__ import annotations

import math
import numbers
import os
import socket
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .arguments import MAX_LR, MAX_STEPS, SEED_RANGE
from .models import MODELS
from .schedules import SCHEDULE_PRESETS

HOST = "127.0.0.1"
OPTIMIZERS = ("sgd", "adamw")
MAX_WORLD_SIZE = 8
MAX_TIMEOUT = 86_400  # seconds: a day


class DistributedUnavailable(RuntimeError):
    """This PyTorch build cannot run torch.distributed with the gloo backend."""


@dataclass
class DataParallelRun:
    """What a data-parallel run did: every rank's LRs and batch sizes, and the final metrics."""

    world_size: int
    batch_size: int  # per rank
    lr: float
    epochs: int
    steps_per_epoch: int  # optimizer steps per epoch, the same on every rank
    lrs: list[list[float]] = field(default_factory=list)  # [rank][step]
    samples: list[list[int]] = field(default_factory=list)  # [rank][step]: images in the batch
    train_loss: list[float] = field(default_factory=list)  # per epoch, mean over all ranks
    val_loss: float = math.nan
    val_acc: float = math.nan
    weights_agree: bool = False  # every rank ended with exactly the same weights
    start_method: str = ""
    seconds: float = field(default=0.0, compare=False, repr=False)

    @property
    def effective_batch(self) -> int:
        """Images behind each optimizer step: every rank's batch, averaged by DDP."""
        return self.world_size * self.batch_size

    @property
    def total_steps(self) -> int:
        """Optimizer steps each rank took (and scheduler steps it counted)."""
        return self.epochs * self.steps_per_epoch

    def summary(self) -> str:
        """One line: ranks, batches, steps and the final validation accuracy."""
        return (f"{self.world_size} rank{'s' if self.world_size > 1 else ''} x batch "
                f"{self.batch_size} = effective batch {self.effective_batch}, lr {self.lr:g}: "
                f"{self.total_steps} steps per rank, val accuracy {self.val_acc:.1%}")


def _require_gloo() -> Any:
    """torch.distributed, or a clear error saying why it can't be used here."""
    import torch.distributed as dist

    if not dist.is_available():
        raise DistributedUnavailable(
            "This PyTorch build has no torch.distributed (torch.distributed.is_available() is "
            "False), so a data-parallel run can't start here. The rest of the lesson works "
            "without it; to run this part, install a standard PyTorch build from pytorch.org.")
    if not dist.is_gloo_available():
        raise DistributedUnavailable(
            "This PyTorch build has torch.distributed but not its gloo backend, which runs "
            "data-parallel training on CPUs. Install a standard PyTorch build from pytorch.org "
            "to run this part.")
    return dist


def _loopback() -> str | None:
    """The name of the loopback network interface (lo, lo0), so gloo stays on this machine."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (AttributeError, OSError):
        return None
    return next((n for n in names if n in ("lo", "lo0")), None)


def _start_method(requested: str | None) -> str:
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    if requested is not None:
        if requested not in methods:
            raise ValueError(f"start_method must be one of {methods} here, not {requested!r}.")
        return requested
    return "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"


def _whole(name: str, value: Any, least: int, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}.")
    if value < least or (most is not None and value > most):
        span = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise ValueError(f"{name} must be {span}, got {value}.")
    return int(value)


def _build_schedule(schedule: Any, params: dict[str, float], optimizer: Any,
                    total_steps: int) -> Any:
    if schedule is None:
        return None
    if isinstance(schedule, str):
        return SCHEDULE_PRESETS[schedule](optimizer, total_steps, **params)
    return schedule(optimizer, total_steps)


def _shard_loader(cfg: dict[str, Any], rank: int) -> Any:
    """This rank's loader: a DistributedSampler shard of the (optionally trimmed) train split."""
    from torch.utils.data import DataLoader, Subset
    from torch.utils.data.distributed import DistributedSampler

    from .data import load_digits

    train_set: Any = load_digits("train")
    if cfg["train_size"] is not None:
        keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(0))
        train_set = Subset(train_set, keep[: cfg["train_size"]].tolist())
    sampler = DistributedSampler(train_set, num_replicas=cfg["world_size"], rank=rank,
                                 shuffle=True, seed=cfg["seed"], drop_last=True)
    return DataLoader(train_set, batch_size=cfg["batch_size"], sampler=sampler, drop_last=True)


def _train_rank(cfg: dict[str, Any], rank: int) -> dict[str, Any]:
    """One rank's whole run, inside an initialised process group."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from .data import load_digits
    from .models import make_model
    from .training import evaluate

    loader = _shard_loader(cfg, rank)
    model = DistributedDataParallel(make_model(cfg["model"], seed=cfg["seed"]))
    if cfg["optimizer"] == "sgd":
        opt: Any = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9,
                                   weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"],
                                weight_decay=cfg["weight_decay"])
    total_steps = cfg["epochs"] * len(loader)
    scheduler = _build_schedule(cfg["schedule"], cfg["schedule_params"], opt, total_steps)
    loss_fn = nn.CrossEntropyLoss()
    lrs, samples, epoch_losses = [], [], []
    for epoch in range(cfg["epochs"]):
        loader.sampler.set_epoch(epoch)
        total = torch.zeros(2, dtype=torch.float64)
        for x, y in loader:
            lrs.append(float(opt.param_groups[0]["lr"]))
            samples.append(len(y))
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # DDP all-reduces (averages) the gradients here
            opt.step()
            if scheduler is not None:
                scheduler.step()
            total += torch.tensor([float(loss) * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(total)
        epoch_losses.append(float(total[0] / total[1]))
    flat = torch.cat([p.detach().flatten() for p in model.module.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(cfg["world_size"])]
    dist.all_gather(gathered, flat)
    agree = all(torch.equal(g, gathered[0]) for g in gathered)
    from torch.utils.data import DataLoader

    val = DataLoader(load_digits("val"), batch_size=512)
    val_loss, val_acc = evaluate(model.module, val, loss_fn, torch.device("cpu"))
    return {"lrs": lrs, "samples": samples, "train_loss": epoch_losses, "val_loss": val_loss,
            "val_acc": val_acc, "agree": agree, "steps_per_epoch": len(loader)}


def _rank_main(rank: int, cfg: dict[str, Any], port: int, conn: Any, log: str) -> None:
    """A child process: join the group, train, send the result (or the traceback) home."""
    with open(log, "w") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = out
        try:
            import torch.distributed as dist

            warnings.simplefilter("ignore")
            torch.set_num_threads(1)
            if cfg["ifname"] and "GLOO_SOCKET_IFNAME" not in os.environ:
                os.environ["GLOO_SOCKET_IFNAME"] = cfg["ifname"]
            timeout = timedelta(seconds=cfg["timeout"])
            store = dist.TCPStore(HOST, port, is_master=False, timeout=timeout)
            dist.init_process_group("gloo", store=store, rank=rank,
                                    world_size=cfg["world_size"], timeout=timeout)
            try:
                conn.send(("ok", _train_rank(cfg, rank)))
            finally:
                dist.destroy_process_group()
        except BaseException:
            conn.send(("error", traceback.format_exc()))
        finally:
            out.flush()
            conn.close()


def _stop(processes: list[Any], grace: float) -> None:
    """Join every child within `grace` seconds; terminate, then kill, any still running."""
    for stop in (None, "terminate", "kill"):
        deadline = time.monotonic() + (grace if stop is None else 2.0)
        for p in processes:
            if stop is not None and p.is_alive():
                getattr(p, stop)()
        for p in processes:
            p.join(timeout=max(deadline - time.monotonic(), 0.0))
        if not any(p.is_alive() for p in processes):
            return


def run_data_parallel(
    *,
    lr: float,
    epochs: int = 2,
    batch_size: int = 32,
    world_size: int = 2,
    optimizer: str = "sgd",
    weight_decay: float = 0.0,
    schedule: str | Callable[[Any, int], Any] | None = None,
    schedule_params: dict[str, float] | None = None,
    model: str = "mlp",
    seed: int = 0,
    train_size: int | None = None,
    timeout: float = 60.0,
    start_method: str | None = None,
) -> DataParallelRun:
    """Train with DistributedDataParallel (gloo, CPU) on `world_size` local processes.

    `batch_size` is per rank. `schedule` is a preset name from SCHEDULE_PRESETS
    (with `schedule_params`) or a function `(optimizer, total_steps) -> scheduler`;
    each rank builds it for its own optimizer and steps it once per optimizer step.
    """
    dist = _require_gloo()
    world_size = _whole("world_size", world_size, 1, MAX_WORLD_SIZE)
    epochs = _whole("epochs", epochs, 1, MAX_STEPS)
    batch_size = _whole("batch_size", batch_size, 1, MAX_STEPS)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr <= MAX_LR:
        raise ValueError(f"lr must be a positive number of at most {MAX_LR:g}, got {lr!r}.")
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) or not (
            0 <= weight_decay <= MAX_LR):
        raise ValueError(f"weight_decay must be 0 or a positive number of at most {MAX_LR:g}, "
                         f"got {weight_decay!r}.")
    if schedule_params is not None and not (
            isinstance(schedule_params, dict) and all(isinstance(k, str)
                                                      for k in schedule_params)):
        raise TypeError("schedule_params must be a dict of the preset's settings such as "
                        f"{{'T_max': 40}}, or None, not {type(schedule_params).__name__}.")
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, not {model!r}.")
    seed = _whole("seed", seed, 0, SEED_RANGE[1])
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not (
            0 < timeout <= MAX_TIMEOUT):
        raise ValueError(f"timeout must be a positive number of seconds, at most {MAX_TIMEOUT:,}, "
                         f"got {timeout!r}.")
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {optimizer!r}.")
    if isinstance(schedule, str) and schedule not in SCHEDULE_PRESETS:
        raise ValueError(f"Unknown schedule {schedule!r}; the presets are: "
                         f"{', '.join(SCHEDULE_PRESETS)}, or pass a function "
                         "(optimizer, total_steps) -> scheduler.")
    if isinstance(schedule, str) and SCHEDULE_PRESETS[schedule].per_metric:
        raise ValueError("ReduceLROnPlateau needs a metric each step; pick a schedule that "
                         "counts steps for a data-parallel run.")
    if schedule is not None and not isinstance(schedule, str) and not callable(schedule):
        raise TypeError("schedule must be a preset name, a function (optimizer, total_steps) -> "
                        f"scheduler, or None, not {type(schedule).__name__}.")
    from .data import load_digits

    available = len(load_digits("train"))
    if train_size is not None:
        available = _whole("train_size", train_size, 1, available)
    per_rank = available // world_size
    if per_rank < batch_size:
        raise ValueError(f"Each of the {world_size} ranks gets {per_rank} training images, "
                         f"fewer than one batch of {batch_size}: use a smaller batch_size or "
                         "more data.")
    method = _start_method(start_method)
    cfg = {"world_size": world_size, "epochs": epochs, "batch_size": batch_size,
           "lr": float(lr), "optimizer": optimizer, "weight_decay": float(weight_decay),
           "schedule": schedule, "schedule_params": dict(schedule_params or {}),
           "model": model, "seed": int(seed), "train_size": train_size,
           "timeout": float(timeout), "ifname": _loopback()}
    return _launch(dist, cfg, method)


def _launch(dist: Any, cfg: dict[str, Any], method: str) -> DataParallelRun:
    """Host the store, start the ranks, collect their results, and always clean up."""
    import multiprocessing as mp

    ctx = mp.get_context(method)
    start = time.perf_counter()
    timeout = timedelta(seconds=cfg["timeout"])
    store = dist.TCPStore(HOST, 0, world_size=None, is_master=True, timeout=timeout,
                          wait_for_workers=False)
    results: dict[int, tuple[str, Any]] = {}
    processes: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="lr_course_ddp_") as tmp:
        logs = [str(Path(tmp) / f"rank{r}.log") for r in range(cfg["world_size"])]
        try:
            pipes = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
                for rank in range(cfg["world_size"]):
                    here, there = ctx.Pipe(duplex=False)
                    p = ctx.Process(target=_rank_main, args=(rank, cfg, store.port, there,
                                                             logs[rank]), daemon=True)
                    p.start()
                    there.close()
                    processes.append(p)
                    pipes.append(here)
            deadline = time.monotonic() + cfg["timeout"]
            for rank, here in enumerate(pipes):
                while rank not in results:
                    if here.poll(0.05):
                        try:
                            results[rank] = here.recv()
                        except EOFError:
                            results[rank] = ("error", _died(processes[rank], logs[rank]))
                    elif not processes[rank].is_alive() and not here.poll(0):
                        results[rank] = ("error", _died(processes[rank], logs[rank]))
                    elif time.monotonic() > deadline:
                        raise TimeoutError(
                            f"The data-parallel run did not finish within {cfg['timeout']:g} s "
                            f"(rank {rank} never reported); its processes were stopped.")
                here.close()
        finally:
            finished = len(results) == len(processes)
            _stop(processes, grace=5.0 if finished else 0.0)
            del store
    failed = {r: text for r, (status, text) in results.items() if status != "ok"}
    if failed:
        rank, text = min(failed.items())
        raise RuntimeError(f"Rank {rank} of the data-parallel run failed; its processes were "
                           f"stopped. What it said:\n{text.strip()}")
    ranks = [results[r][1] for r in range(cfg["world_size"])]
    return DataParallelRun(
        world_size=cfg["world_size"], batch_size=cfg["batch_size"], lr=cfg["lr"],
        epochs=cfg["epochs"], steps_per_epoch=ranks[0]["steps_per_epoch"],
        lrs=[r["lrs"] for r in ranks], samples=[r["samples"] for r in ranks],
        train_loss=ranks[0]["train_loss"], val_loss=ranks[0]["val_loss"],
        val_acc=ranks[0]["val_acc"], weights_agree=all(r["agree"] for r in ranks),
        start_method=method, seconds=time.perf_counter() - start)


def _died(process: Any, log: str) -> str:
    """Why a rank stopped without a word: its exit code and the end of its log."""
    process.join(timeout=1)
    try:
        tail = Path(log).read_text(errors="replace")[-1500:].strip()
    except OSError:
        tail = ""
    text = f"it exited with code {process.exitcode} before sending a result."
    if tail:
        return f"{text} Its last output:\n{tail}"
    return (f"{text} Started from a script with the spawn start method? Then call "
            "run_data_parallel under `if __name__ == \"__main__\":`, so the new processes can "
            "import the script without running it again.")
