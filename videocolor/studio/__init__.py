"""The colourist's workspace: a local web app over the library (``videocolor studio REEL``).

:class:`videocolor.studio.session.Studio` does the work (shots, keyframes, point hints, previews,
renders) and is usable from Python; :mod:`videocolor.studio.app` is the thin HTTP layer over it
and ``static/`` the page, plain HTML/JS/CSS shipped in the package (no build step, no CDN).
"""
