"""The subscriber list: its store, the list service and its command."""
