"""Seeing the footage: scene cuts, subjects (faces, else salient motion), visual activity
and loudness per second (:mod:`.analysis`, pure cores in :mod:`.detect`); the calm camera
of the subject-aware reframe (:mod:`.camera`, :mod:`.reframe`); highlights and beats
(:mod:`.highlight`, :mod:`.beats`). Modules are imported where used (OpenCV lazily)."""
