"""Shots: what a shot is (``shot``), finding them in a reel (``detection``, with the detector's
parts in ``detect/``), and handing them to editors (``editorial``)."""
