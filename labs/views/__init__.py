"""Views, by area: catalog pages, the lab player, classes, the admin's table. Thin: reads come from
``labs.selectors``, writes go through ``labs.services``."""
