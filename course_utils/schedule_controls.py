"""A schedule preset's own sliders for the hikers' widgets, each with its help and number box."""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as widgets

from course_utils import widget_access as access
from course_utils.schedules import SCHEDULE_PRESETS, Param


def param_control(param: Param, steps: int) -> widgets.Widget:
    """A slider for one preset parameter, its range scaled to the run length (box: `.box`)."""
    value, high = param.default_for(steps), param.high_for(steps)
    common = {
        "description": param.name,
        "continuous_update": False,
        "style": {"description_width": "initial"},
    }
    if param.kind == "int":
        return widgets.IntSlider(value=int(value), min=int(param.low), max=int(high), **common)
    if param.kind == "log":
        return widgets.FloatLogSlider(
            value=value,
            base=10,
            min=math.log10(param.low),
            max=math.log10(high),
            step=0.01,
            readout_format=".3g",
            **common,
        )
    return widgets.FloatSlider(
        value=value,
        min=param.low,
        max=high,
        step=(high - param.low) / 100,
        readout_format=".3g",
        **common,
    )


def schedule_controls(schedule: str, steps: int, on_change: Any, footnote: str = "",
                      ) -> tuple[dict[str, widgets.Widget], tuple[widgets.Widget, ...], str]:
    """A preset's parameter sliders (each beside its named number box) and the help below."""
    preset = SCHEDULE_PRESETS[schedule]
    controls = {p.name: param_control(p, steps) for p in preset.params}
    for control in controls.values():
        control.observe(on_change, "value")
    children = tuple(part for name, control in controls.items()
                     for part in (control, access.number_box(control, name)))
    helps = [f"<b>{html.escape(p.name)}</b>: {html.escape(p.help)}" for p in preset.params
             if p.help]
    return controls, children, (f'<small style="color:#555">{"<br>".join([*helps, footnote])}'
                                "</small>")
