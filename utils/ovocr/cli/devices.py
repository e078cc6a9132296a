"""``ovocr devices``: the OpenVINO devices of this machine. Explained in 02-device-selection."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, echo


def add_parser(sub: Any) -> None:
    """Add ``devices`` to the ``ovocr`` sub-command parsers."""
    p = sub.add_parser("devices", help="list OpenVINO devices")
    p.set_defaults(func=cmd_devices)


def cmd_devices(_args: argparse.Namespace) -> int:
    import openvino as ov

    from ..devices import available_devices, get_core

    echo(f"OpenVINO {ov.get_version()}")
    core = get_core()
    for device in available_devices():
        echo(f"{device}: {core.get_property(device, 'FULL_DEVICE_NAME')}")
    return EXIT_OK
