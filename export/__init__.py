"""Export of trained PyTorch models to the ONNX files the torch-free runtime loads."""
