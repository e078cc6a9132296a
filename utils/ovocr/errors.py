"""Exceptions a user can act on. Every message names the file or thing and the fix."""

from __future__ import annotations


class OvocrError(Exception):
    """Base class of every error ``ovocr`` raises on purpose."""


class ImageError(OvocrError):
    """An input image is missing, unreadable or unusable."""


class ModelError(OvocrError):
    """A model cannot be found, fetched, verified, converted or loaded."""


class OfflineError(ModelError):
    """A model source needs the network, and the network is not reachable."""


class DeviceError(OvocrError):
    """The requested OpenVINO device does not exist on this machine."""


class ImageWarning(UserWarning):
    """An image was usable but changed on the way in (e.g. downscaled); coordinates differ."""


class ModelWarning(UserWarning):
    """A model or its compiled cache needed repair (e.g. a changed cache blob was removed)."""
