"""Views, by area: catalog pages, the lab player, classes, exercises, a class's progress, the admin's
table. Thin: reads come from ``labs.selectors`` (``exercises.selectors``), writes go through
``labs.services`` (``exercises.services``)."""
