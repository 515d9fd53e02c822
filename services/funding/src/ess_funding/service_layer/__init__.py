"""Use cases of the funding service: each act judged, recorded with its events in one transaction."""
