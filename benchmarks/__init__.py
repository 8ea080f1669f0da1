"""Benchmarks (run with ``python -m benchmarks.synth``); not part of the test suite."""
