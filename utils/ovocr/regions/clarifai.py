"""Regions from a Clarifai detection model, for users who trained one in the cloud.

A Clarifai visual detector answers a predict call with, per input, ``data.regions``:
each region has ``region_info.bounding_box`` (``top_row``, ``left_col``, ``bottom_row``,
``right_col``, relative 0..1, the format of ``ovocr.regions.annotations``) and
``data.concepts`` (``name``, ``value``). :func:`regions_from_response` turns such a JSON
response into :class:`~ovocr.regions.annotations.Region` objects, which
``ovocr.regions.fields.read_regions`` then crops and reads locally with OpenVINO.

:func:`predict` makes the live REST call; it needs a personal access token
(``CLARIFAI_PAT``) and the network, and nothing else in ``ovocr`` depends on it.
Explained in 07-reading-fields.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import OvocrError
from .annotations import Region, RelBox

API = "https://api.clarifai.com/v2"
SUCCESS = 10000  # Clarifai's status code for a successful call
DEFAULT_MODEL = "clarifai/main/general-image-detection"


class ClarifaiError(OvocrError):
    """A Clarifai call failed or its response cannot be understood."""


def _box(info: Mapping[str, Any]) -> RelBox:
    # Protobuf's JSON leaves out fields equal to 0, so a box at the top-left edge has no
    # top_row / left_col key.
    values = [float(info.get(k, 0.0)) for k in ("top_row", "left_col", "bottom_row", "right_col")]
    return RelBox(*(min(max(v, 0.0), 1.0) for v in values))


def regions_from_response(
    response: Mapping[str, Any],
    concepts: Iterable[str] | None = None,
    min_value: float = 0.0,
    output: int = 0,
) -> list[Region]:
    """Regions of one output of a Clarifai predict response (a parsed JSON dict).

    Each region takes its highest-valued concept (among ``concepts`` when given) as its
    concept and that value as its score.

    Args:
        response: the JSON response of ``POST .../models/{model}/outputs``.
        concepts: keep only these concept names (default: all).
        min_value: drop regions whose concept value is lower.
        output: which output (one per input image) to read.

    Raises:
        ClarifaiError: the call or the output failed, or the response has no such output.
    """
    _check_status(response.get("status", {}), "request")
    outputs = response.get("outputs") or []
    if output >= len(outputs):
        raise ClarifaiError(f"Clarifai response has {len(outputs)} outputs, wanted #{output}")
    out = outputs[output]
    _check_status(out.get("status", {}), f"output #{output}")
    wanted = set(concepts) if concepts is not None else None
    regions = []
    for number, item in enumerate(out.get("data", {}).get("regions", [])):
        try:
            box = _box(item.get("region_info", {}).get("bounding_box", {}))
        except (TypeError, ValueError) as exc:
            raise ClarifaiError(
                f"Clarifai region #{number} has a bad bounding box ({exc})"
            ) from None
        candidates = [
            c
            for c in item.get("data", {}).get("concepts", [])
            if wanted is None or c.get("name") in wanted
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda c: float(c.get("value", 0.0)))
        value = float(best.get("value", 0.0))
        if value >= min_value:
            regions.append(Region(str(best.get("name") or best.get("id")), box, value))
    return regions


def _check_status(status: Mapping[str, Any], what: str) -> None:
    code = status.get("code", SUCCESS)
    if code != SUCCESS:
        detail = status.get("details") or status.get("description") or "no description"
        raise ClarifaiError(f"Clarifai {what} failed with status {code}: {detail}")


def model_url(model: str) -> str:
    """REST URL of ``user/app/model`` or ``user/app/model/version``.

    >>> model_url("me/receipts/fields/abc123")
    'https://api.clarifai.com/v2/users/me/apps/receipts/models/fields/versions/abc123/outputs'
    """
    parts = model.strip("/").split("/")
    if len(parts) not in (3, 4) or not all(parts):
        raise ClarifaiError(
            f"model {model!r}: expected 'user/app/model' or 'user/app/model/version'"
        )
    url = f"{API}/users/{parts[0]}/apps/{parts[1]}/models/{parts[2]}"
    if len(parts) == 4:
        url += f"/versions/{parts[3]}"
    return url + "/outputs"


def predict(
    image: str | os.PathLike,
    model: str = DEFAULT_MODEL,
    pat: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Send one image to a Clarifai model and return the JSON response.

    Args:
        image: path of the image (sent as base64 bytes).
        model: ``user/app/model[/version]``; your own detector of text regions, or the
            public general detector by default.
        pat: personal access token; default ``$CLARIFAI_PAT``.
        timeout: seconds to wait for the answer.

    Raises:
        ClarifaiError: no token, a network failure, or an answer that is not JSON.
    """
    import requests

    token = (pat or os.environ.get("CLARIFAI_PAT") or "").strip()  # `echo` adds a newline
    if not token:
        raise ClarifaiError("no Clarifai token: set CLARIFAI_PAT to a personal access token")
    data = base64.b64encode(Path(image).read_bytes()).decode("ascii")
    body = {"inputs": [{"data": {"image": {"base64": data}}}]}
    try:
        answer = requests.post(
            model_url(model),
            json=body,
            headers={"Authorization": f"Key {token}"},
            timeout=timeout,
        )
        return answer.json()
    except requests.exceptions.InvalidHeader:  # its message would show the token
        raise ClarifaiError("the Clarifai token holds characters no header can carry") from None
    except requests.RequestException as exc:
        raise ClarifaiError(f"Clarifai call for {image} failed: {exc}") from None
    except ValueError:
        raise ClarifaiError(
            f"Clarifai answered {image} with non-JSON (HTTP {answer.status_code})"
        ) from None
