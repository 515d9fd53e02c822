"""Tests against real containers (marker `containers`): the images, and the pilots' compose stacks."""
