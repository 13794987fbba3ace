"""Shot lists for editors: an OpenTimelineIO timeline, and a CMX 3600 EDL made from it.

An editor (or a conform tool) opens either file and sees the reel cut into its shots: one clip
per shot on a single video track, each referencing the source media with the shot's frame range
at the video's rate, so the cuts can be checked or adjusted before colouring. The EDL is
written by OpenTimelineIO's ``cmx_3600`` adapter (package ``otio-cmx3600-adapter``). Both files
appear whole or not at all (:class:`~videocolor.io.safe_output.AtomicOutput`).

EDL timecode exists only at SMPTE rates. A scan at another rate (16 or 18 fps silent film, or
the 29 fps of some transfers) is written at the next integer SMPTE rate (:func:`edl_rate`), with
the same frame numbers: every cut stays on its frame, but EDL timecodes count frames, not seconds.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from videocolor.errors import OutputError
from videocolor.io.safe_output import AtomicOutput
from videocolor.shots.detection import ShotList

_REEL_LENGTH = 8  # CMX 3600 reel names are at most eight characters
_INTEGER_SMPTE_RATES = (24, 25, 30, 48, 50, 60)


def edl_rate(frame_rate: Fraction) -> float:
    """The rate an EDL of a video at ``frame_rate`` is written at (and must be read at)."""
    rate = float(frame_rate)
    if otio.opentime.RationalTime.is_valid_timecode_rate(rate):
        return rate
    return float(next((r for r in _INTEGER_SMPTE_RATES if r >= rate), _INTEGER_SMPTE_RATES[-1]))


def reel_name(name: str) -> str:
    """The CMX 3600 reel name of a source called ``name``: its letters and digits, upper case,
    at most eight."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())[:_REEL_LENGTH] or "AX"


def shot_timeline(shots: ShotList, rate: float | None = None) -> otio.schema.Timeline:
    """One clip per shot, in order, on a single video track named ``V1``, counted in frames at
    ``rate`` (default: the video's own frame rate).

    Each clip's metadata (``videocolor``) keeps the shot number and how many of its frames at
    each end belong to a dissolve or fade.
    """
    rate = float(shots.frame_rate) if rate is None else rate
    source = shots.source
    name = source.stem if source else "frames"
    reel = reel_name(name)
    available = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(shots.frame_count, rate)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for shot in shots:
        media = (
            otio.schema.ExternalReference(
                target_url=source.resolve().as_uri(), available_range=available
            )
            if source
            else otio.schema.MissingReference()
        )
        clip = otio.schema.Clip(
            name=f"{name} shot {shot.index:03d}",
            media_reference=media,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(shot.start, rate),
                otio.opentime.RationalTime(shot.length, rate),
            ),
        )
        clip.metadata["cmx_3600"] = {"reel": reel}
        clip.metadata["videocolor"] = {
            "shot": shot.index,
            "transition_in": shot.transition_in,
            "transition_out": shot.transition_out,
        }
        track.append(clip)
    timeline = otio.schema.Timeline(name=name)
    timeline.tracks.append(track)
    return timeline


def write_otio(shots: ShotList, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the shot timeline as an ``.otio`` file (OpenTimelineIO JSON)."""
    return _write(shot_timeline(shots), shots, path, "otio_json", overwrite)


def write_edl(shots: ShotList, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the shot timeline as a CMX 3600 EDL at :func:`edl_rate` (record timecode starts
    at 00:00:00:00)."""
    timeline = shot_timeline(shots, edl_rate(shots.frame_rate))
    return _write(timeline, shots, path, "cmx_3600", overwrite)


def _write(
    timeline: otio.schema.Timeline, shots: ShotList, path: str | Path, adapter: str, overwrite: bool
) -> Path:
    inputs = (shots.source,) if shots.source else ()
    output = AtomicOutput(path, inputs=inputs, overwrite=overwrite)
    try:
        otio.adapters.write_to_file(timeline, str(output.temp), adapter_name=adapter)
    except otio.exceptions.OTIOError as exc:
        output.discard()
        raise OutputError(f"{path}: could not write the {adapter} file ({exc})") from None
    except BaseException:
        output.discard()
        raise
    return output.commit()
