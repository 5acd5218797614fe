"""Benchmarks behind `vasim bench NAME` (one module per benchmark)."""
