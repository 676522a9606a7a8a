"""Views of exercises, by area: one exercise's page and actions, a class's page, the class's progress.
Thin: reads come from ``exercises.selectors``, writes go through ``exercises.services``."""
