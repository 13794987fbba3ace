"""Reference frames, the colourist's paint: reading a folder of them (``reference``) and its
manifest (``manifest``), finding the frame each shows (``match``) and checking them
(``check``), proposing keyframes to paint (``suggest``, from ``coverage``), and the pictures
written for the colourist (``canvas``, ``contact_sheet``)."""
