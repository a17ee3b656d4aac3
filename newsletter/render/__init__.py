"""Renderers: functions from the model to ``str`` or ``bytes``. None of them touches the disk."""
