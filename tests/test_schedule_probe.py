"""ScheduleProbe: what a scheduler needs of an optimizer, without a first optimizer's cost.

The first real `torch.optim` optimizer a process builds imports `torch._dynamo` (about 900
modules, some 2 s). The widgets, previews and simulations build their schedulers on a
probe instead, so a widget's first change of schedule is as quick as the later ones. These
tests hold the probe to a real SGD, and show in a fresh interpreter that nothing a learner
does with a widget pays that import.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as L

from course_utils.schedules import SCHEDULE_PRESETS, ScheduleProbe, preview_schedule

STEPS = 40
METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9] * 7


def _groups(optimizer, factory, metrics=None):
    """The param group (parameters left out) after each of STEPS scheduler steps."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = factory(optimizer)
        seen = []
        for i in range(STEPS):
            seen.append({k: v for k, v in optimizer.param_groups[0].items() if k != "params"})
            optimizer.step()
            scheduler.step(metrics[i]) if metrics else scheduler.step()
    return seen


@pytest.mark.parametrize("name", list(SCHEDULE_PRESETS))
@pytest.mark.parametrize(("lr", "momentum"), [(0.3, 0.9), (0.05, 0.0)])
def test_every_preset_sets_a_probe_as_it_sets_a_real_sgd(name, lr, momentum):
    preset = SCHEDULE_PRESETS[name]
    factory = preset.factory(STEPS)
    metrics = METRICS if preset.per_metric else None
    real = torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=lr, momentum=momentum)
    want = _groups(real, factory, metrics)
    got = _groups(ScheduleProbe(lr, momentum), factory, metrics)
    assert [sorted(g) for g in got] == [sorted(g) for g in want]  # the same keys, step by step
    for g, w in zip(got, want, strict=True):
        for key, value in w.items():
            if isinstance(value, float):
                assert g[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
            else:
                assert g[key] == value, key


def test_cycled_momentum_follows_a_real_sgd():
    # CyclicLR and OneCycleLR write the momentum as well as the LR; the hikers read both.
    for factory in (lambda o: L.CyclicLR(o, 0.01, 0.1, 5),
                    lambda o: L.OneCycleLR(o, 0.5, total_steps=STEPS)):
        real = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1, momentum=0.9)
        want = [g["momentum"] for g in _groups(real, factory)]
        got = [g["momentum"] for g in _groups(ScheduleProbe(0.1, 0.9), factory)]
        assert got == pytest.approx(want, rel=1e-12)
        assert max(got) - min(got) > 0.05  # it did cycle


def test_the_probe_has_an_sgds_defaults_and_is_an_sgd():
    real = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.2, momentum=0.5)
    probe = ScheduleProbe(0.2, 0.5)
    assert probe.defaults == real.defaults
    assert isinstance(probe, torch.optim.SGD)  # schedulers and learners' checks see an SGD


def test_stepping_the_probe_changes_nothing_and_copies_stay_probes():
    probe = ScheduleProbe(0.1, 0.9)
    before = probe.param_groups[0]["params"][0].clone()
    assert probe.step() is None
    assert torch.equal(probe.param_groups[0]["params"][0], before)
    live = L.StepLR(probe, step_size=3, gamma=0.5)
    copied = copy.deepcopy(live)
    assert type(copied.optimizer) is ScheduleProbe
    assert preview_schedule(live, 7) == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025])
    assert probe.param_groups[0]["lr"] == 0.1  # previewing a live scheduler steps a copy


@pytest.mark.parametrize(("args", "error", "word"), [
    ((-0.1, 0.9), ValueError, "base_lr"), ((math.nan, 0.9), ValueError, "base_lr"),
    (("0.1", 0.9), TypeError, "base_lr"), ((True, 0.9), TypeError, "base_lr"),
    ((0.1, 1.0), ValueError, "momentum"), ((0.1, -0.5), ValueError, "momentum"),
])
def test_bad_settings_say_which_one(args, error, word):
    with pytest.raises(error, match=word):
        ScheduleProbe(*args)


FRESH = textwrap.dedent("""
    import sys
    from course_utils.hiker_widget import HikerWidget
    from course_utils.hiker_map_widget import HikerMapWidget
    from course_utils.plateau_widget import PlateauWidget
    from course_utils import SCHEDULE_PRESETS, preview_schedule, simulate_plateau
    from torch.optim.lr_scheduler import CosineAnnealingLR
    assert "torch._dynamo" not in sys.modules, "imported before any widget was used"
    hiker, mapped, plateau = HikerWidget(), HikerMapWidget(), PlateauWidget()
    for widget in (hiker, mapped):
        for name in SCHEDULE_PRESETS:
            widget.schedule_dropdown.value = name
            for control in widget.param_controls.values():
                control.value = control.max
        widget.lr_slider.value = widget.lr_slider.value / 3
        widget.play.value = 2
    plateau.patience.value = 1
    plateau.factor.value = 0.3
    simulate_plateau([1.0, 1.0, 1.0, 0.5])
    preview_schedule(lambda opt: CosineAnnealingLR(opt, T_max=10), 10)
    assert hiker.hike.lrs and mapped.hike.lrs
    print("torch._dynamo" in sys.modules)
""")


def test_no_widget_change_builds_a_first_real_optimizer():
    # A fresh interpreter: in this one, other tests have long since built real optimizers.
    done = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "False", (
        "a widget change imported torch._dynamo: it built a real optimizer, and a learner's "
        "first change of schedule would freeze for seconds")
