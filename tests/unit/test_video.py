"""Video: the rendered clip, frame reading, every Nth frame read, the annotated copy."""

from __future__ import annotations

import numpy as np
import pytest
from ovocr.errors import ImageError
from ovocr.types import Line, Page, Word
from ovocr.video import ocr_video, open_video, read_frames, render_text_clip
from ovocr.viz import BOX_COLOR


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return render_text_clip(
        tmp_path_factory.mktemp("video") / "clip.avi", seconds=1.0, fps=10, size=(320, 180)
    )


class FakePipeline:
    """Stands in for ``OcrPipeline.map``: one page per frame, a box at a known place, and
    a record of the frames it was given (a unit test loads no model)."""

    def __init__(self):
        self.frames = []

    def map(self, images):
        for image in images:
            self.frames.append(image)
            h, w = image.shape[:2]
            quad = ((10, 10), (w - 10, 10), (w - 10, h - 10), (10, h - 10))
            yield Page(w, h, (Line((Word(f"frame {len(self.frames)}", 0.9, quad),)),))


def test_clip_has_the_frames_and_size_asked_for(clip):
    frames = list(read_frames(clip))
    assert len(frames) == 10
    assert all(f.shape == (180, 320, 3) and f.dtype == np.uint8 for f in frames)
    # the text moves: consecutive frames differ, dark text on a light background
    assert np.abs(frames[0].astype(int) - frames[1].astype(int)).mean() > 1
    assert frames[0].min() < 60 and np.median(frames[0]) > 150
    assert len(list(read_frames(clip, max_frames=4))) == 4


def test_every_nth_frame_is_read_and_every_frame_written(clip, tmp_path):
    fake = FakePipeline()
    out = tmp_path / "annotated.mp4"
    results = list(ocr_video(fake, clip, every=3, output=out))
    assert [r.index for r in results] == [0, 3, 6, 9]
    assert [r.seconds for r in results] == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert [r.page.text for r in results] == ["frame 1", "frame 2", "frame 3", "frame 4"]
    originals = list(read_frames(clip))
    assert all(np.array_equal(f, originals[i]) for f, i in zip(fake.frames, (0, 3, 6, 9)))
    written = list(read_frames(out))
    assert len(written) == 10
    _capture, fps = open_video(out)
    _capture.release()
    assert fps == pytest.approx(10)
    # every written frame carries the box (lossy codec: colour close to the box colour)
    edge = np.array([f[90, 9:12].mean(axis=0) for f in written])
    assert np.abs(edge - np.array(BOX_COLOR)).max(axis=1).max() < 60


def test_bad_sources_are_one_line_errors(tmp_path):
    with pytest.raises(ImageError, match=r"nothing\.mp4: no such file"):
        open_video(tmp_path / "nothing.mp4")
    text = tmp_path / "notes.avi"
    text.write_text("not a video")
    with pytest.raises(ImageError, match=r"notes\.avi: cannot open video"):
        list(read_frames(text))
    with pytest.raises(ValueError, match="every"):
        next(ocr_video(FakePipeline(), text, every=0))


def test_output_format_is_checked(clip, tmp_path):
    with pytest.raises(ValueError, match=r"\.mp4, \.avi"):
        list(ocr_video(FakePipeline(), clip, output=tmp_path / "out.gif"))
