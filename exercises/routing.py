"""Websocket routes of exercises: an exercise sandbox's page, and a class's live progress."""

from django.urls import path

from exercises import consumers

websocket_urlpatterns = [
    path("ws/exercise/<str:name>/", consumers.ExerciseConsumer.as_asgi()),
    path("ws/classroom/<str:code>/", consumers.ClassroomConsumer.as_asgi()),
]
