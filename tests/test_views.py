"""The typed views the core gives the CLI and the TUI."""

from __future__ import annotations


def test_a_figure_is_written_one_way():
    from qa_calibrate.report import Figure

    fig = Figure.of({"value": 0.7234, "ci_low": 0.61, "ci_high": 0.8, "se": 0.05,
                     "undefined": None, "label": "substantial"})
    assert fig.text() == "0.72 [0.61, 0.80] substantial"
    assert fig.text(label=False) == "0.72 [0.61, 0.80]"
    assert Figure.of({"value": 0.88, "ci_low": 0.8, "ci_high": 0.95}).text(pct=True) == \
        "88% [80%–95%]"
    assert Figure.of({"value": 0.5, "ci_low": float("nan")}).text() == "0.50"
    nan = Figure.of({"value": float("nan"), "undefined": "every rating is the same"})
    assert not nan.defined and nan.text() == "undefined (every rating is the same)"
    assert Figure.of({"value": None}).text(pct=True) == "undefined"
