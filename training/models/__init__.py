"""Network definitions used for training and export."""

from training.models.efficientnet_lite import EfficientNetLite, efficientnet_lite0

__all__ = ["EfficientNetLite", "efficientnet_lite0"]
