"""Every directory the application writes to is named here, and created on first use."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "qa-calibrate"
ENV_VAR = "QA_CALIBRATE_DB"  # names the store instead of the default file


def data_directory() -> Path:
    """Where the default store and the demo store live."""
    from platformdirs import user_data_dir

    path = Path(user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_directory() -> Path:
    """Where user configuration (extra redaction patterns, thresholds) lives."""
    from platformdirs import user_config_dir

    path = Path(user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_directory() / "qa_calibrate.db"


def demo_db_path() -> Path:
    return data_directory() / "demo.db"
