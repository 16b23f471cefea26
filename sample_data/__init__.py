"""The sample data that ships with qa-calibrate (written by ``generate.py``).

This folder is installed as the package ``qa_calibrate.sample_data`` (see ``pyproject.toml``) and
read through ``importlib.resources`` by ``qa_calibrate.bundled``."""
