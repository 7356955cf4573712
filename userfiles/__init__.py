"""Files a user hands in and files written back: read and checked with a refusal that names the file,
the key or line and the reason (:mod:`userfiles.reading`, :mod:`userfiles.schema`), and written so
that no input and no good old file is ever lost (:mod:`userfiles.writing`).

Both the simulator and the system read their configuration through it; it imports neither.
"""
