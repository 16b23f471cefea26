"""``python -m qa_calibrate`` and the ``qa-calibrate`` console script."""

from qa_calibrate.cli import cli

if __name__ == "__main__":
    cli()
