"""Benchmarks and load test (issue 8): `make bench`, `make loadtest`. Data lives in bench/data/ (gitignored)."""
