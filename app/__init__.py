"""The HTTP service: immediate predictions, explanation jobs and their artifacts, a web page."""
