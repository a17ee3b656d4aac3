"""The build engine: what is rebuilt, by whom, and how the output appears at once.

- ``plan.py``: the units of a build, their keys, and what is redone (the rest is carried over).
- ``cache.py``: digests of every input, the manifest and the issue cache; the no-change check.
- ``workers.py``: the worker processes that render the issues' PDFs and emails.
- ``writer.py``: the only module that writes build output, into the new generation.
- ``commit.py``: the output folder: the lock, the generation, the one-step switch, recovery.

Nothing is imported here, so that a no-change build stays free of the renderers.
"""
