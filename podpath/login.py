"""Sign-in with a limit on wrong passwords: per user name and per client address (``classrooms.ratelimit``)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from classrooms.ratelimit import LOGIN_PER_ADDRESS, LOGIN_PER_USER, client_address

TOO_MANY = "Too many wrong passwords: wait a few minutes before signing in again."


class LoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs) -> HttpResponse:
        username, address = request.POST.get("username", ""), client_address(request)
        if LOGIN_PER_USER.blocked(username) or LOGIN_PER_ADDRESS.blocked(address):
            form = self.get_form()
            return self.render_to_response(self.get_context_data(form=form, too_many=TOO_MANY), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        LOGIN_PER_USER.fail(self.request.POST.get("username", ""))
        LOGIN_PER_ADDRESS.fail(client_address(self.request))
        return super().form_invalid(form)
