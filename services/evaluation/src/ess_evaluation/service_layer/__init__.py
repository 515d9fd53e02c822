"""Use cases of the evaluation service: its acts, and the annual report rendered from its views."""
