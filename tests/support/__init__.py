"""What the tests share besides fixtures: synthetic data, process helpers and the harnesses that play
SageMaker, the containers and the SDKs (tests/conftest.py keeps the fixtures and hooks)."""
