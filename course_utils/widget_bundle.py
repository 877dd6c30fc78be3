"""The widget view's MIME bundle on ipywidgets 7 and 8 alike, for widgets with a still picture."""

from __future__ import annotations

from typing import Any


def view_bundle(widget: Any, **kwargs: Any) -> dict[str, Any]:
    """The bundle a live front end renders as the widget itself.

    ipywidgets 8 builds it in `DOMWidget._repr_mimebundle_`; ipywidgets 7 has no such
    method (it displays through `_ipython_display_`), so the same view reference is built here.
    """
    base = getattr(super(type(widget), widget), "_repr_mimebundle_", None)
    data = base(**kwargs) if base is not None else None
    if data:
        return dict(data)
    return {
        "application/vnd.jupyter.widget-view+json": {
            "version_major": 2,
            "version_minor": 0,
            "model_id": widget.model_id,
        }
    }
