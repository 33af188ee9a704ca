"""napstack: run any container on AWS only while someone is connected."""
