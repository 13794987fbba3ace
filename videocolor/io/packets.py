"""A window of a video file carried as its compressed packets, for a machine that cannot read it.

:func:`read_packets` takes the packets that decode a :class:`~videocolor.io.seek.SeekWindow`
(from its keyframe, in decode order, until every frame of the window has arrived) with what the
decoder needs to start (codec and extradata); :class:`PacketSource` decodes them elsewhere into
the same frames, numbered and timed as the file's own source would give them. Compressed packets
are what travels: a window costs its share of the file, not its decoded frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import av

from videocolor.io.frames import Frame, StreamInfo
from videocolor.io.pixels import frame_luma
from videocolor.io.seek import SeekWindow, pick_frames


@dataclass(frozen=True)
class Packets:
    """Compressed packets of one window: (data, pts, dts, keyframe) in decode order."""

    codec: str
    extradata: bytes | None
    width: int
    height: int
    pix_fmt: str
    window: SeekWindow
    packets: list[tuple[bytes, int | None, int | None, bool]] = field(repr=False)

    @property
    def size(self) -> int:
        return sum(len(data) for data, *_ in self.packets)


def read_packets(info: StreamInfo, window: SeekWindow) -> Packets:
    """The packets that decode ``window`` of ``info``'s file."""
    wanted = set(window.pts)
    packets = []
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        if window.seek_pts is not None:
            container.seek(window.seek_pts, stream=stream, backward=True)
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if window.seek_pts is not None and not packets and packet.pts != window.seek_pts:
                continue  # a coarse seek lands before the keyframe
            packets.append((bytes(packet), packet.pts, packet.dts, packet.is_keyframe))
            wanted.discard(packet.pts)
            # Without timestamps the window ends at its frame count, plus the most frames a
            # decoder may hold back to reorder them (16, H.264's limit).
            if (not wanted and window.pts) or (not window.pts and len(packets) >= window.end + 16):
                break
        if window.seek_pts is not None and not packets:  # the seek missed its keyframe
            return read_packets(info, SeekWindow(window.start, window.end))
        extradata = bytes(context.extradata) if context.extradata else None
        return Packets(
            context.name, extradata, context.width, context.height, context.format.name,
            window, packets,
        )  # fmt: skip


class PacketSource:
    """The frames of :class:`Packets`, decoded, like a source started at its window."""

    def __init__(self, packets: Packets, info: StreamInfo) -> None:
        self.packets, self.info = packets, info
        self.frames_decoded = 0
        self.error: str | None = None
        self.frames_lost = 0

    def _decoded(self) -> Iterator[av.VideoFrame]:
        context = av.CodecContext.create(self.packets.codec, "r")
        if self.packets.extradata:
            context.extradata = self.packets.extradata
        context.width, context.height = self.packets.width, self.packets.height
        context.pix_fmt = self.packets.pix_fmt
        context.thread_type = "AUTO"
        for data, pts, dts, keyframe in self.packets.packets:
            # Copied into a buffer FFmpeg owns: one wrapping the Python bytes would be released
            # by a decoding thread that needs the GIL, deadlocking against a thread that holds
            # it while freeing the decoder.
            packet = av.Packet(len(data))
            packet.update(data)
            packet.pts, packet.dts, packet.is_keyframe = pts, dts, keyframe
            yield from context.decode(packet)
        yield from context.decode(None)

    def __iter__(self) -> Iterator[Frame]:
        code_range = self.info.code_range
        for number, raw in pick_frames(self._decoded(), self.packets.window):
            luma = frame_luma(raw, self.info.color.matrix, code_range)
            yield Frame(number, luma, raw.pts, self.info.time_base)
            self.frames_decoded += 1

    def close(self) -> None:
        """Nothing is held open."""

    def __enter__(self) -> PacketSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
