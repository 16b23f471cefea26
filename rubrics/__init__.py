"""The rubrics and refresher-module catalogue that ship with qa-calibrate.

This folder is installed as the package ``qa_calibrate.rubrics`` (see ``pyproject.toml``) and read
through ``importlib.resources`` by ``qa_calibrate.bundled``; edit the YAML files here."""
