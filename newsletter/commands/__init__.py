"""One module per verb of the CLI; each takes paths and options and returns a result."""
