"""What a screen reader finds in a widget: Chromium's own accessibility tree, through CDP."""

from __future__ import annotations

from typing import Any

# Roles a learner operates; each needs a name (a slider may lean on a named twin: see below).
CONTROL_ROLES = {"button", "togglebutton", "checkbox", "combobox", "spinbutton", "textbox",
                 "slider", "radio", "switch", "menulistpopup"}


def _backend_ids(node: dict) -> set[int]:
    ids, stack = set(), [node]
    while stack:
        n = stack.pop()
        ids.add(n["backendNodeId"])
        stack.extend(n.get("children", []))
        stack.extend(n.get("shadowRoots", []))
    return ids


def ax_nodes(page: Any, element: Any) -> list[dict]:
    """The accessibility nodes (not ignored) of `element` and everything inside it.

    Chromium's tree (`Accessibility.getFullAXTree`), not Playwright's own reading of the
    DOM: roles and names as a screen reader gets them.
    """
    cdp = page.context.new_cdp_session(page)
    element.evaluate("(el) => el.setAttribute('data-ax-root', '')")
    try:
        cdp.send("DOM.enable")
        cdp.send("Accessibility.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-ax-root]"})
        inside = _backend_ids(cdp.send("DOM.describeNode", {
            "nodeId": found["nodeId"], "depth": -1, "pierce": True})["node"])
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        element.evaluate("(el) => el.removeAttribute('data-ax-root')")
        cdp.detach()
    return [n for n in nodes if n.get("backendDOMNodeId") in inside and not n.get("ignored")]


def role(node: dict) -> str:
    return str(node.get("role", {}).get("value", ""))


def name(node: dict) -> str:
    return str(node.get("name", {}).get("value", "")).strip()


def prop(node: dict, key: str) -> Any:
    for item in node.get("properties", []):
        if item.get("name") == key:
            return item.get("value", {}).get("value")
    return None


def naming_problems(nodes: list[dict]) -> list[str]:
    """Controls without a name; sliders without a named number box or list to pair with."""
    problems = [f"a {role(n)} without a name" for n in nodes
                if role(n) in CONTROL_ROLES - {"slider"} and not name(n)]
    sliders = [n for n in nodes if role(n) == "slider" and not name(n)]
    twins = [n for n in nodes if role(n) in {"spinbutton", "combobox"} and name(n)]
    if len(twins) < len(sliders):
        problems.append(f"{len(sliders)} unnamed sliders but only {len(twins)} named number "
                        "boxes or lists to pair them with")
    return problems


def summary(nodes: list[dict]) -> str:
    """One line per named control: role and name, as a screen reader would list them."""
    return "; ".join(f"{role(n)} {name(n)!r}" for n in nodes
                     if role(n) in CONTROL_ROLES | {"image", "status"} and name(n))
