"""Colourisation quality metrics on numpy frames, following the papers' published definitions.

Images are H x W x 3 RGB on the 0..255 scale (``uint8`` unless a function says otherwise) and
videos are sequences of such frames. Every metric reproduces the convention of the table it is
compared against, because a number that differs from the literature by a windowing or
normalisation choice is not comparable at all. By kind: ``fidelity`` (PSNR, SSIM, QSSIM against a
reference), ``accuracy`` (the raw accuracy curve of Zhang et al. 2016), ``temporal`` (CDC of Liu
et al. 2021 and the warping error of Lai et al. 2018), ``classification`` (the arithmetic of
classifier-based scores); ``pairs`` checks what they are given. Colourfulness, which needs no
reference, is :func:`videocolor.color.colorfulness`. numpy and OpenCV only.
"""
