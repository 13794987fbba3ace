"""The bundled ONNX models at run time: the colourisation ``network``, the keyframe ``matcher``
and the onnxruntime sessions both run in (``runtime``)."""
