"""The hand-off timeline: the coloured shots at their source timecodes, as OpenTimelineIO.

Record time starts at the reel's first timecode, so each shot sits where it sits in the source.
Video track ``V1`` has one clip per shot whose source range is the shot's range on the source
clock, in the media that holds it: a conform against the original cut matches reel, source in
and source out. Each reference keyframe is a marker on its shot's clip, named by its file and
frame. Audio track ``A1``, when the reel has sound, is cut with the same ranges from the media
that carries it (the whole-reel file or the Broadcast WAV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from videocolor.handoff.clock import SourceClock
from videocolor.handoff.media import MediaFile
from videocolor.shots.shot import Shot


@dataclass(frozen=True)
class HandOff:
    """Everything a timeline of the hand-off is made from; media paths are the final ones."""

    name: str
    reel: str
    clock: SourceClock
    shots: Sequence[Shot]
    video: Sequence[MediaFile]
    audio: MediaFile | None  # the media that carries the sound; None: silent
    keyframes: dict[int, Path]  # frame: the reference file painted for it

    def media_for(self, shot: Shot) -> MediaFile:
        return next(media for media in self.video if media.holds(shot.start))

    def markers_in(self, shot: Shot) -> list[tuple[int, Path]]:
        return sorted((frame, path) for frame, path in self.keyframes.items() if frame in shot)


def _range(clock: SourceClock, first: int, frames: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(
        clock.time(first), otio.opentime.RationalTime(frames, clock.rate)
    )


def _reference(media: MediaFile, clock: SourceClock) -> otio.schema.ExternalReference:
    reference = otio.schema.ExternalReference(
        target_url=media.path.resolve().as_uri(),
        available_range=_range(clock, media.first, media.frames),
    )
    reference.name = media.path.name
    return reference


def _clip(handoff: HandOff, shot: Shot, media: MediaFile) -> otio.schema.Clip:
    clip = otio.schema.Clip(
        name=f"{handoff.name} shot {shot.index:03d}",
        media_reference=_reference(media, handoff.clock),
        source_range=_range(handoff.clock, shot.start, shot.length),
    )
    clip.metadata["cmx_3600"] = {"reel": handoff.reel}
    clip.metadata["videocolor"] = {
        "shot": shot.index,
        "source_frames": [shot.start, shot.end - 1],
        "source_timecode": handoff.clock.timecode(shot.start),
    }
    return clip


def _marker(clock: SourceClock, frame: int, reference: Path) -> otio.schema.Marker:
    marker = otio.schema.Marker(
        name=f"{reference.name} (frame {frame})",
        marked_range=_range(clock, frame, 1),
        color=otio.schema.MarkerColor.GREEN,
    )
    marker.metadata["videocolor"] = {"reference": reference.name, "frame": frame}
    return marker


def hand_off_timeline(handoff: HandOff) -> otio.schema.Timeline:
    """The timeline of :class:`HandOff`: ``V1`` with markers, and ``A1`` when there is sound."""
    timeline = otio.schema.Timeline(name=handoff.name, global_start_time=handoff.clock.time(0))
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for shot in handoff.shots:
        clip = _clip(handoff, shot, handoff.media_for(shot))
        for frame, reference in handoff.markers_in(shot):
            clip.markers.append(_marker(handoff.clock, frame, reference))
        video.append(clip)
    timeline.tracks.append(video)
    if handoff.audio is not None:
        audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        for shot in handoff.shots:
            audio.append(_clip(handoff, shot, handoff.audio))
        timeline.tracks.append(audio)
    return timeline
