"""Benchmarks: how fast, how big, and how close to the same work written by hand with raw nats-py.

`python -m bench` (or `make bench`) runs every part and writes `bench/results.json` and `bench/results.md`.
Each figure is the median of several runs; each ratio compares two figures measured in the same run on the
same machine, because absolute figures on these machines move 20-40% between runs.
"""
