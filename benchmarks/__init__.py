"""Benchmarks: understudy side by side with Prism (run.py)."""
