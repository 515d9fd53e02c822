"""Helpers shared by the test fixtures."""
