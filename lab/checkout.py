#!/usr/bin/env python3
"""This checkout's own names, subnets and ports, so two checkouts run the molecule scenarios side by side.

    checkout.py          print `export LAB_CHECKOUT=dsm0 LAB_NET=10.180 LAB_PORTS=51` for eval

A checkout leases one of SLOTS slots: a file under LEASES holding the checkout's path. It keeps its
slot for as long as it exists, so a run finds the containers a failed run left behind under the same
names; a slot whose checkout is gone is taken again. LAB_SLOT in the environment picks the slot
instead (no lease). From the slot:

- LAB_CHECKOUT, the prefix of every container, network and image tag a scenario makes (dsm<slot>);
- LAB_NET, the first two octets of the scenarios' subnets (10.<180 + slot>.<scenario>.0/24);
- LAB_PORTS, the first two digits of the ports the scenarios' emulators and servers listen on
  (<51 + slot><scenario>, from 5100 to 6699: clear of the lab's 5000 and 8000).

Inventory host names stay the scenario's own (rolling-node-1): only docker's names carry the prefix,
and each checkout's network gives its containers their short names as aliases.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOTS = 16
LEASES = Path(os.environ.get("LAB_CHECKOUT_LEASES", "/var/tmp/dsm-lab-checkouts"))


def _holder(lease: Path) -> Path | None:
    try:
        return Path(lease.read_text().strip())
    except FileNotFoundError:
        return None


def lease_slot(checkout: Path = ROOT, leases: Path = LEASES) -> int:
    """The slot this checkout holds, leasing the first free one (or one whose checkout is gone)."""
    checkout = checkout.resolve()
    leases.mkdir(parents=True, exist_ok=True)
    with open(leases / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        holders = {slot: _holder(leases / f"slot-{slot}") for slot in range(SLOTS)}
        for slot, holder in holders.items():
            if holder == checkout:
                return slot
        for slot, holder in holders.items():
            if holder is None or not holder.is_dir():
                (leases / f"slot-{slot}").write_text(f"{checkout}\n")
                return slot
    raise SystemExit(
        f"All {SLOTS} lab slots under {leases} are held by checkouts that still exist; remove the file of a"
        " checkout that no longer runs tests, or set LAB_SLOT to a slot that is free."
    )


def slot_env(slot: int) -> dict[str, str]:
    if not 0 <= slot < SLOTS:
        raise SystemExit(f"LAB_SLOT={slot} is out of range: use 0 to {SLOTS - 1}.")
    return {"LAB_CHECKOUT": f"dsm{slot}", "LAB_NET": f"10.{180 + slot}", "LAB_PORTS": str(51 + slot)}


def checkout_env(checkout: Path = ROOT) -> dict[str, str]:
    """The environment that names this checkout's scenario resources; LAB_SLOT overrides the lease."""
    chosen = os.environ.get("LAB_SLOT")
    if chosen is not None and not chosen.isdigit():
        raise SystemExit(f"LAB_SLOT={chosen!r} is not a slot number: use 0 to {SLOTS - 1}.")
    return slot_env(int(chosen) if chosen is not None else lease_slot(checkout))


if __name__ == "__main__":
    print("export " + " ".join(f"{key}={value}" for key, value in checkout_env().items()))
