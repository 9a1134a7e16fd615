"""Operational state changes: ``diagnose vpn tunnel up|down|flush`` and ``diagnose vpn ike
gateway clear|flush``, pending negotiations completing (``settle``), and the live per-tunnel
summary written to the stats file.

The state lives on each device's TunnelViews and Selectors, so every session of a device
sees it. What happens to one lab end happens to the other (``TunnelView.peer``): the
delete, or the new negotiation, reaches it, and both ends take the same SA generation so
their SPIs and keys keep matching. A new SA is *pending* for the acting device's
``negotiation_ms`` and shows no SA meanwhile; ``settle`` makes it appear once the clock
has passed that point. Unknown names change nothing: the device prints nothing either way.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from fortisim.model import Device, Selector, TunnelView
from fortisim.sa import selector_key

# Called as listener(view, kind, now, ready) for each lab end of a tunnel an operation makes
# negotiate: kind "full" (IKE SA and its children), "child" (new child SAs) or "retry" (``up``
# on a tunnel its fault blocks). The IKE debug (``ikedebug.py``) prints the negotiation.
NEGOTIATION_LISTENERS: list[Callable[[TunnelView, str, float, float], None]] = []


def _announce(view: TunnelView, kind: str, now: float, ready: float) -> None:
    for end in _ends(view):
        for listener in NEGOTIATION_LISTENERS:
            listener(end, kind, now, ready)


def _coming_up(sel: Selector) -> bool:
    """Up, or negotiating: both count as "was up" for flush and gateway clear."""
    return sel.up or sel.pending_at is not None


def _ike_coming_up(view: TunnelView) -> bool:
    return view.phase1_up or view.phase1_pending_at is not None


def _ends(view: TunnelView) -> list[TunnelView]:
    return [view] if view.peer is None else [view, view.peer]


def _with_peer(view: TunnelView, sel: Selector) -> list[tuple[TunnelView, Selector]]:
    """The selector and, when the far end is in the lab, its mirror there."""
    pairs = [(view, sel)]
    peer = view.peer
    if peer is not None:
        key = selector_key(view, sel)
        match = next((s for s in peer.selectors if selector_key(peer, s) == key), None)
        if match is not None:
            pairs.append((peer, match))
    return pairs


def _named(view: TunnelView, name: str) -> bool:
    # A dial-up parent's name stands for all of its instances.
    return view.name == name or (view.kind == "dial_inst" and view.parent == name)


def _drop_sa(sel: Selector) -> None:
    sel.up = False
    sel.pending_at = None
    sel.since = None
    sel.npu_flag = None


def _drop_ike(view: TunnelView) -> None:
    view.phase1_up = False
    view.phase1_pending_at = None
    view.ike_since = None


def _renegotiate_ike(view: TunnelView, ready: float) -> None:
    """A new IKE SA (new cookies and keys) on both ends, visible at ``ready``."""
    generation = max(v.ike_generation for v in _ends(view)) + 1
    for end in _ends(view):
        _drop_ike(end)
        end.ike_generation = generation
        end.phase1_pending_at = ready


def _renegotiate_sas(view: TunnelView, sels: list[Selector], ready: float) -> None:
    """New child SAs (a fresh generation: new SPIs, keys, counters) on both ends."""
    generation = max(v.sa_generation for v in _ends(view)) + 1
    for end in _ends(view):
        end.sa_generation = generation
    for sel in sels:
        for _unused, target in _with_peer(view, sel):
            _drop_sa(target)
            target.generation = generation
            target.pending_at = ready


def settle_view(view: TunnelView, now: float) -> None:
    """Complete the negotiations of ``view`` that are due at clock second ``now``."""
    if view.phase1_pending_at is not None and view.phase1_pending_at <= now:
        view.phase1_up = True
        view.ike_since = view.phase1_pending_at
        view.phase1_pending_at = None
    if not view.phase1_up:
        return  # child SAs wait for their IKE SA
    for sel in view.selectors:
        if sel.pending_at is not None and sel.pending_at <= now:
            sel.up = True
            sel.since = sel.pending_at
            sel.pending_at = None
            # Offload is decided when the SA is installed; later config changes do not move it.
            sel.npu_flag = "03" if view.npu else "00"


def settle(device: Device, now: float) -> None:
    for views in device.tunnels.values():
        for view in views:
            settle_view(view, now)


def _settle_all(views: Iterable[TunnelView], now: float) -> None:
    for view in views:
        for end in _ends(view):
            settle_view(end, now)


def _selects(view: TunnelView, phase1: Optional[str], serial: Optional[int]) -> bool:
    return (phase1 is None or _named(view, phase1)) and (serial is None or view.serial == serial)


def tunnel_down(device: Device, vdom: str, phase2: str, phase1: Optional[str] = None,
                serial: Optional[int] = None) -> bool:
    """Delete the SAs of selector ``phase2``; the IKE SA goes with the tunnel's last one."""
    changed = False
    for view in device.views(vdom):
        if view.kind == "dialup" or not _selects(view, phase1, serial):
            continue
        downed = [sel for sel in view.selectors if sel.name == phase2 and _coming_up(sel)]
        for sel in downed:
            for _unused, target in _with_peer(view, sel):
                _drop_sa(target)
        if downed:
            changed = True
            for end in _ends(view):
                if not any(_coming_up(s) for s in end.selectors):
                    _drop_ike(end)
    return changed


def tunnel_up(device: Device, vdom: str, phase2: str, phase1: Optional[str], serial: Optional[int],
              now: float) -> bool:
    """Negotiate selector ``phase2`` (and phase 1 first when it is down), if it can succeed."""
    ready = now + device.negotiation_ms / 1000
    started = []
    for view in device.views(vdom):
        # A dial-up hub only answers: neither the parent nor its instances initiate.
        if view.kind != "static" or not _selects(view, phase1, serial):
            continue
        sels = [s for s in view.selectors if s.name == phase2 and s.negotiable and not _coming_up(s)]
        if not sels:
            if view.fault is not None and any(s.name == phase2 and not s.negotiable for s in view.selectors):
                _announce(view, "retry", now, now)  # tried, and refused again for the same reason
            continue  # unknown, already up, or blocked by the tunnel's fault
        kind = "child" if _ike_coming_up(view) else "full"
        if not _ike_coming_up(view):
            _renegotiate_ike(view, ready)
        _renegotiate_sas(view, sels, ready)
        started.append(view)
        _announce(view, kind, now, ready)
    _settle_all(started, now)
    return bool(started)


def tunnel_flush(device: Device, vdom: str, names: list[str], now: float) -> bool:
    """New child SAs for the selectors that were up; no names: every tunnel of the VDOM."""
    ready = now + device.negotiation_ms / 1000
    flushed = []
    for view in device.views(vdom):
        if view.kind == "dialup" or (names and not any(_named(view, n) for n in names)):
            continue
        sels = [s for s in view.selectors if _coming_up(s)]
        if sels:
            _renegotiate_sas(view, sels, ready)
            flushed.append(view)
            _announce(view, "child", now, ready)
    _settle_all(flushed, now)
    return bool(flushed)


def gateway_clear(device: Device, vdom: str, name: Optional[str], now: float) -> bool:
    """Drop IKE SAs and their children, which renegotiate; no name: every VDOM of the device."""
    ready = now + device.negotiation_ms / 1000
    vdoms = device.vdoms if name is None else [vdom]
    cleared = []
    for vd in vdoms:
        for view in device.views(vd):
            if view.kind == "dialup" or (name is not None and not _named(view, name)):
                continue
            if not _ike_coming_up(view):
                continue  # no IKE SA to clear (down, or still retransmitting)
            sels = [s for s in view.selectors if _coming_up(s)]
            _renegotiate_ike(view, ready)
            if sels:
                _renegotiate_sas(view, sels, ready)
            cleared.append(view)
            _announce(view, "full", now, ready)
    _settle_all(cleared, now)
    return bool(cleared)


def tunnel_states(device: Device, now: float) -> dict[str, dict[str, Any]]:
    """``VDOM/NAME`` -> live state of every tunnel (static, dial-up parent and instance)."""
    settle(device, now)
    states: dict[str, dict[str, Any]] = {}
    for vdom in device.vdoms:
        for view in device.views(vdom):
            states[f"{vdom}/{view.name}"] = {
                "state": view.state,
                "selectors_up": sum(1 for s in view.selectors if s.up),
                "selectors_total": len(view.selectors),
                "npu_offload": view.phase1.npu_offload,
                "sa_generation": view.sa_generation,
                "npu_flags": [s.npu_flag if s.up else None for s in view.selectors],
            }
    return states
