"""The propagation engine: reference colour carried through each shot along optical flow.

``clip`` is the entry point (a shot's luma and keyframes in, chroma out, at the working
resolution); ``shot`` runs the chains of one shot both ways and fuses them; ``chain`` is one
step along the ``flow``; ``repair`` and ``fill`` mend what the flow cannot carry; ``candidate``
holds one chain's chroma with its trust; ``smooth`` brings later frames' colour back; ``prior``
is the colour where no chain reaches; ``settings`` holds every knob.
"""
