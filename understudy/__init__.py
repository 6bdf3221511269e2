"""understudy: a local mock and contract-test server for real REST APIs."""

__version__ = "0.1.0"
