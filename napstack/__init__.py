"""napstack: run any container on AWS only while someone is connected."""

__version__ = "0.4.0"
