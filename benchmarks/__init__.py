"""Scripts that print accuracy and speed figures (``python -m benchmarks.<name>``); the figures
and the commands that made them are kept in benchmarks/RESULTS.md."""
