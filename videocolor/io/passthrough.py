"""Audio and subtitle streams copied from the source into the output, packet for packet.

Colourisation must not touch the soundtrack: packets are remuxed, never decoded, and interleaved
with the video by time as frames are written, so nothing is buffered for the whole reel.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av

from videocolor.errors import OutputError

log = logging.getLogger("videocolor")


class StreamCopier:
    """Copies every audio and subtitle stream of ``source`` into ``output``."""

    def __init__(self, source: Path, output: av.container.OutputContainer) -> None:
        self._input = av.open(str(source))
        streams = [*self._input.streams.audio, *self._input.streams.subtitles]
        self._map = {}
        for stream in streams:
            try:
                self._map[stream.index] = output.add_stream_from_template(stream)
            except (ValueError, av.FFmpegError) as exc:
                self._input.close()
                raise OutputError(
                    f"{output.name}: cannot carry {stream.type} stream #{stream.index} "
                    f"({stream.codec_context.name}) in this container ({exc}); use .mkv or .mov"
                ) from None
        self._output = output
        self._packets: Iterator[av.Packet] = self._input.demux(*streams) if streams else iter(())
        self._pending: av.Packet | None = None

    @property
    def stream_count(self) -> int:
        return len(self._map)

    def _next(self) -> av.Packet | None:
        if self._pending is None:
            for packet in self._packets:
                if packet.size or packet.pts is not None:
                    self._pending = packet
                    break
        return self._pending

    def mux_until(self, seconds: float | None) -> None:
        """Write every source packet that starts before ``seconds`` (all of them for None)."""
        while (packet := self._next()) is not None:
            stamp = packet.pts if packet.pts is not None else packet.dts
            if (
                seconds is not None
                and stamp is not None
                and float(stamp * packet.time_base) > seconds
            ):
                return
            packet.stream = self._map[packet.stream.index]
            self._output.mux(packet)
            self._pending = None

    def close(self) -> None:
        self._input.close()


def check_stream_copy(source: Path, output: Path) -> None:
    """Refuse, before any work, an output container that cannot carry the source's audio and
    subtitle streams as they are (FLAC or PCM in .mp4's cousins, text subtitles in .mp4): the
    muxer would only say so when the colouring is done."""
    with av.open(str(source)) as opened:
        streams = [*opened.streams.audio, *opened.streams.subtitles]
        for stream in streams:
            with tempfile.TemporaryDirectory(prefix="videocolor-mux-") as folder:
                container = av.open(str(Path(folder) / f"probe{output.suffix}"), "w")
                try:
                    container.add_stream_from_template(stream)
                    container.start_encoding()
                except (ValueError, av.FFmpegError):
                    raise OutputError(
                        f"{output}: a {output.suffix} file cannot carry the source's "
                        f"{stream.codec_context.name} {stream.type} (stream #{stream.index}) as "
                        "it is; write .mkv, which carries any stream, or convert that stream first"
                    ) from None
                finally:
                    with contextlib.suppress(av.FFmpegError, ValueError):
                        container.close()
