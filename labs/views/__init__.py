"""Views of labs, by area: the home page and a lab's steps, the player, a class's lab sandboxes, the
admin's table. Thin: reads come from ``labs.selectors``, writes go through ``labs.services``."""
