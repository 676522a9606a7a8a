"""Websocket routes."""

from django.urls import path

from labs import consumers, exercise_consumers

websocket_urlpatterns = [
    path("ws/sandbox/<str:name>/", consumers.SandboxConsumer.as_asgi()),
    path("ws/exercise/<str:name>/", exercise_consumers.ExerciseConsumer.as_asgi()),
    path("ws/classroom/<str:code>/", exercise_consumers.ClassroomConsumer.as_asgi()),
]
