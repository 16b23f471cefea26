"""qa_calibrate: calibration for contact-centre QA teams."""

__version__ = "0.1.0"
