"""Benchmarks: each prints its figure beside the reference it is compared with."""
