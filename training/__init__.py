"""Training code (PyTorch): models, datasets and loops for the colourisation network."""
