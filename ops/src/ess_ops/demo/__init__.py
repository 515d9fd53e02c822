"""The living demo of `ess up --demo`: realistic projects, networks, funding, reviews and a session,
loaded through the services' own HTTP APIs as the run's local people (`load.py`); the data is code
(`projects_*.py`, `networks.py`), the bodies are built from it (`bodies.py`)."""
