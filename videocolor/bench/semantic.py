"""Semantic interpretability: does colour help an ImageNet classifier recognise the photo?

Zhang et al. (2016) score colourisations by the accuracy of a classifier trained on colour photos:
on the originals, on the grey versions and on the colourised ones; the share of the accuracy lost
to greyscale that colourisation wins back
(:func:`videocolor.bench.metrics.classification.gap_recovered`) is the number to compare. Labels
come from the WordNet id that starts each file name (``n01440764_tench.jpg``) and
``imagenet_classes.tsv``; the classifier is the project's ONNX EfficientNet-Lite0
(:mod:`videocolor.bench.classifier`). Where either is missing the measurement is skipped with a
note saying why, rather than failing the whole benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from videocolor.bench.classifier import ImageNetClassifier, ImageNetLabels, wordnet_id
from videocolor.bench.metrics.classification import (
    gap_recovered,
    gap_recovered_interval,
    top_k_hits,
)
from videocolor.errors import ModelError

KS = (1, 5)


class SemanticScorer:
    """Collects classifier logits of each photo's original, grey and colourised versions."""

    def __init__(self, classifier: ImageNetClassifier, labels: np.ndarray) -> None:
        self.classifier = classifier
        self.labels = labels
        self.logits: dict[str, list[np.ndarray]] = {}

    def add(self, key: str, image: np.ndarray) -> None:
        """Classify one 8-bit RGB image as the next photo of ``key`` (original, grey, a method)."""
        self.logits.setdefault(key, []).append(self.classifier.logits([image])[0])

    def hits(self, key: str) -> dict[str, np.ndarray]:
        """Per photo of ``key``, whether the label is in the top 1 / top 5."""
        scores = np.stack(self.logits[key])
        return {f"top{k}": top_k_hits(scores, self.labels[: len(scores)], k) for k in KS}

    def result(self, method: str) -> dict[str, object]:
        """Top-1/top-5 of original, grey and ``method``'s photos, the gap recovered and its 95 %
        bootstrap interval over the photos
        (:func:`videocolor.bench.metrics.classification.gap_recovered_interval`)."""
        versions = {"original": "original", "grey": "grey", "colorized": method}
        hits = {name: self.hits(key) for name, key in versions.items()}
        rates = {name: {k: float(np.mean(v)) for k, v in h.items()} for name, h in hits.items()}
        order = ("grey", "colorized", "original")  # the argument order of both gap functions
        return {
            "classifier": str(self.classifier.model_path),
            **rates,
            "gap_recovered": {
                k: gap_recovered(*(rates[n][k] for n in order)) for k in rates["original"]
            },
            "gap_recovered_95": {
                k: list(gap_recovered_interval(*(hits[n][k] for n in order)))
                for k in hits["original"]
            },
        }


def semantic_scorer(
    photos: Sequence[Path], classes: Path | None
) -> tuple[SemanticScorer | None, str | None]:
    """The scorer for ``photos``, or None and the reason it cannot be measured."""
    try:
        wnids = [wordnet_id(path) for path in photos]
    except ValueError:
        return None, "the photos' file names carry no WordNet id (n01440764_...)"
    if classes is None:
        return None, "imagenet_classes.tsv not found beside or above the data (or --classes)"
    try:
        table = ImageNetLabels.from_tsv(classes)
        labels = np.array([table.index(wnid) for wnid in wnids])
        classifier = ImageNetClassifier()
    except (ValueError, ModelError) as error:
        return None, str(error)
    return SemanticScorer(classifier, labels), None
