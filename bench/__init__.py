"""manouche's benchmarks: everyday ORM workloads timed against the raw driver in the same run.

Run ``python -m bench`` (see ``bench/README.md``).
"""
