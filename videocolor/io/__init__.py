"""Video and image-sequence input/output: the only code that knows about containers and codecs."""

from videocolor.io.codecs import CODECS
from videocolor.io.frames import ColorTags, Frame, StreamInfo
from videocolor.io.sink import ImageSequenceSink, VideoSink, open_sink
from videocolor.io.source import open_source, read_all_luma

__all__ = [
    "CODECS",
    "ColorTags",
    "Frame",
    "ImageSequenceSink",
    "StreamInfo",
    "VideoSink",
    "open_sink",
    "open_source",
    "read_all_luma",
]
