"""Views, by area: catalog pages, the lab player, classes, exercises, a class's progress, the admin's
table. Thin: reads come from ``labs.selectors`` (``labs.exercise_selectors``), writes go through
``labs.services`` (``labs.exercise_services``)."""
