"""Fixtures every web test may ask for by name: the people of a class, its room, and a fake agent."""

from tests.web.exercise_setup import agent, people, room

__all__ = ["agent", "people", "room"]
