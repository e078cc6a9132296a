"""Local models: a user's own ``.xml`` (OpenVINO IR, any version OpenVINO still reads) or
``.onnx`` file, described by looking at its inputs and outputs.

Explained in 01-model-preparation.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from ..registry import DEFAULT_CLS, DEFAULT_DET, DEFAULT_REC, REGISTRY
from ..specs import ModelSpec, PreparedModel
from .packaged import charset_lines


def local_model(path: Path, task: str | None = None) -> PreparedModel:
    """Describe a user's own IR or ONNX file by looking at its inputs and outputs.

    A detector with an output named ``boxes`` of shape ``[N, 5]`` is an Open Model Zoo
    box detector; one with a 4-D output is a DB (PP-OCR) detector. A recogniser needs its
    alphabet: a ``dict.txt`` beside the model (one character a line, PP-OCR style) or a
    ``character`` entry in the ONNX metadata.
    """
    import openvino as ov

    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        model = ov.Core().read_model(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise ModelError(f"{path}: OpenVINO cannot read this model ({first[:200]})") from None
    out = model.outputs
    names = {n for o in out for n in o.get_names()}
    first_shape = out[0].get_partial_shape()
    rank = first_shape.rank.get_length() if first_shape.rank.is_static else 0
    if "boxes" in names:
        box_in = model.inputs[0].get_partial_shape()
        size = (box_in[3].get_length(), box_in[2].get_length()) if box_in.is_static else (704, 704)
        task_family, what = ("det", "boxes"), "box detector"
        params = {"channels": "BGR", "size": size, "score_thresh": 0.3}
    elif rank == 4:
        task_family, what = ("det", "db"), "DB detector"
        params = dict(REGISTRY[DEFAULT_DET].params)
    elif rank == 2:
        task_family, what = ("cls", "cls"), "classifier"
        params = dict(REGISTRY[DEFAULT_CLS].params)
    else:
        task_family, what = ("rec", "ctc"), "CTC recogniser"
        params = dict(REGISTRY[DEFAULT_REC].params)
    detected = ModelSpec(
        name=path.stem,
        task=task_family[0],
        family=task_family[1],
        source="local",
        description=f"local {what} {path}",
        params=params,
    )
    if task and detected.task != task:
        raise ModelError(f"{path}: looks like a {detected.task} model, not a {task} model")
    charset: tuple[str, ...] = ()
    if detected.task == "rec":
        dict_file = path.with_name("dict.txt")
        if dict_file.is_file():
            text = dict_file.read_text(encoding="utf-8")
        elif model.has_rt_info(["framework", "character"]):
            text = model.get_rt_info(["framework", "character"]).astype(str)
        else:
            raise ModelError(
                f"{path}: recogniser without an alphabet; put its dictionary beside it as dict.txt"
            )
        charset = tuple(charset_lines(text))
    return PreparedModel(detected, path, charset)
