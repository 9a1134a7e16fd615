"""Made-up but self-consistent SA material for a tunnel view.

Keys, SPIs and counters are seeded from the tunnel's ``link`` and the traffic
direction, so what device A encrypts with is what device B decrypts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fortisim import seed
from fortisim.model import Selector, TunnelView

# encryption keyword -> (name printed after esp=, key bytes incl. any salt)
_ESP: dict[str, tuple[str, int]] = {
    "des": ("des", 8), "3des": ("3des", 24),
    "aes128": ("aes", 16), "aes192": ("aes", 24), "aes256": ("aes", 32),
    "aes128gcm": ("aes-gcm", 20), "aes256gcm": ("aes-gcm", 36),
    "chacha20poly1305": ("chacha20poly1305", 36),
    "aria128": ("aria", 16), "aria192": ("aria", 24), "aria256": ("aria", 32),
    "seed": ("seed", 16), "null": ("null", 0),
}
_AUTH: dict[str, int] = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64, "null": 0}
NEVER = 42949673  # what the kernel prints for "no packet yet" (ilast/olast)


def split_proposal(proposal: str) -> tuple[str, str]:
    """``aes256-sha256`` -> (aes256, sha256); AEAD alone or with a PRF -> (enc, null)."""
    enc, auth = (proposal.split("-", 1) + [""])[:2]
    if not auth or auth.startswith("prf"):
        return enc, "null"
    return enc, auth


@dataclass
class EspKeys:
    spi: str
    esp: str
    enc_len: int
    enc_key: str
    ah: str
    auth_len: int
    auth_key: str


@dataclass
class IpsecSa:
    inbound: EspKeys
    outbound: EspKeys
    dec_packets: int
    dec_bytes: int
    enc_packets: int
    enc_bytes: int
    age: int
    expire: int


def _dirs(view: TunnelView) -> tuple[str, str]:
    other = "b" if view.side == "a" else "a"
    return f"{view.side}>{other}", f"{other}>{view.side}"  # (outbound, inbound)


def selector_key(view: TunnelView, sel: Selector) -> str:
    """The same string on both ends: the selector as seen from side a."""
    src, dst = (sel.src, sel.dst) if view.side == "a" else (sel.dst, sel.src)
    return f"{src}|{dst}"


def _parts(view: TunnelView, sel: Selector, direction: str) -> tuple[str, ...]:
    parts = (view.link, selector_key(view, sel), direction)
    # Generation 0 keeps the original seeds, so a lab renders as it always did.
    return parts + (f"gen{sel.generation}",) if sel.generation else parts


def _keys(view: TunnelView, sel: Selector, direction: str) -> EspKeys:
    enc, auth = split_proposal(sel.proposal or "null-null")
    esp, enc_len = _ESP.get(enc, ("aes", 32))
    auth_len = _AUTH.get(auth, 0)
    parts = _parts(view, sel, direction)
    return EspKeys(seed.spi(*parts), esp, enc_len, seed.hex_bytes(enc_len, "enc", *parts),
                   auth, auth_len, seed.hex_bytes(auth_len, "auth", *parts))


def sa_age(view: TunnelView, sel: Selector, elapsed: int) -> int:
    """Seconds since the selector's SA was established (rekeys wrap it at the key life)."""
    life = sel.settings.keylifeseconds
    if sel.since is None:  # the lab's own SA: established some time before the start
        return (seed.int_between(30, max(60, life - 600), "sa-age", view.link, selector_key(view, sel)) + elapsed) % life
    return max(0, int(elapsed - sel.since)) % life


def traffic(view: TunnelView, sel: Selector, direction: str, elapsed: int = 0) -> tuple[int, int]:
    """(packets, bytes) carried in one direction."""
    if view.idle or (view.esp_blocked and direction == _dirs(view)[1]):
        return 0, 0  # idle (traffic: idle), or ESP lost on the path: nothing ever arrives
    parts = _parts(view, sel, direction)
    rate = seed.int_between(1, 40, "rate", *parts)
    age = sa_age(view, sel, elapsed)
    if sel.since is None and age >= elapsed:
        # The lab's own SA, not rekeyed since the start: what it carried before, plus a steady
        # seeded rate, so a pre/post comparison sees traffic moving (output at start is unchanged).
        packets = seed.int_between(40, 250_000, "pkts", *parts) + elapsed * rate
    else:  # a new SA (or the lab's own after a rekey) starts nearly empty and fills at the same rate
        packets = seed.int_between(1, 12, "pkts", *parts) + age * rate
    return packets, packets * seed.int_between(90, 1100, "size", *parts)


def ipsec_sa(view: TunnelView, sel: Selector, elapsed: int) -> Optional[IpsecSa]:
    if not sel.up:
        return None
    out_dir, in_dir = _dirs(view)
    life = sel.settings.keylifeseconds
    age = sa_age(view, sel, elapsed)
    dec_p, dec_b = traffic(view, sel, in_dir, elapsed)
    enc_p, enc_b = traffic(view, sel, out_dir, elapsed)
    return IpsecSa(_keys(view, sel, in_dir), _keys(view, sel, out_dir),
                   dec_p, dec_b, enc_p, enc_b, age, life - age)


def tunnel_traffic(view: TunnelView, elapsed: int = 0) -> tuple[int, int, int, int]:
    """(rx packets, tx packets, rx bytes, tx bytes) over the view's up selectors."""
    out_dir, in_dir = _dirs(view)
    rxp = txp = rxb = txb = 0
    for sel in view.selectors:
        if sel.up:
            p, b = traffic(view, sel, in_dir, elapsed)
            rxp, rxb = rxp + p, rxb + b
            p, b = traffic(view, sel, out_dir, elapsed)
            txp, txb = txp + p, txb + b
    return rxp, txp, rxb, txb


@dataclass
class IkeSa:
    sa_id: int
    icookie: str
    rcookie: str
    age: int  # seconds since this IKE SA was established
    created_age: int  # seconds since the gateway was created
    rekeys: int
    lifetime: int
    rekey_in: int
    keys: dict[str, str]


def ike_sa(view: TunnelView, elapsed: int) -> IkeSa:
    life = view.phase1.keylife
    created_age = seed.int_between(600, 900_000, "created", view.link) + elapsed
    # A cleared gateway renegotiates: new cookies, keys and id, shared by both ends.
    parts: tuple[str, ...] = (view.link, f"ike{view.ike_generation}") if view.ike_generation else (view.link,)
    if view.ike_since is None:
        age = created_age % life
    else:
        age = max(0, int(elapsed - view.ike_since)) % life
    enc, auth = split_proposal(view.ike_proposal or view.phase1.proposal[0])
    enc_len = _ESP.get(enc, ("aes", 32))[1]
    prf_len = _AUTH.get(auth, 0)
    keys: dict[str, str] = {}
    if view.phase1.ike_version == 1:
        keys["key"] = seed.hex_bytes(enc_len, "ikev1", *parts)
    else:
        for name in ("SK_ei", "SK_er"):
            keys[name] = seed.hex_bytes(enc_len, name, *parts)
        for name in ("SK_ai", "SK_ar"):
            keys[name] = seed.hex_bytes(prf_len, name, *parts)  # empty with AEAD
    return IkeSa(
        sa_id=seed.int_between(1, 400, "ike-id", *parts, view.side),
        icookie=seed.hex_bytes(8, "icookie", *parts),
        rcookie=seed.hex_bytes(8, "rcookie", *parts),
        age=age, created_age=created_age, rekeys=created_age // life,
        lifetime=life, rekey_in=max(0, life - age - seed.int_between(60, 900, "jitter", view.link)),
        keys=keys,
    )
