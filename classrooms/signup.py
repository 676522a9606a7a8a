"""Students join on their own: a sign-up form that needs a class's join code (pure form, no view).

The code is the invitation: without one no account is made, so a public machine does not collect
strangers. The new account is a student, enrolled in that class at once.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password

from classrooms.models import Classroom


class SignupForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[A-Za-z0-9_.-]{2,40}$",
        max_length=40,
        label="User name",
        error_messages={"invalid": "use 2 to 40 letters, digits, '.', '_' or '-'"},
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Password", max_length=128)
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password again", max_length=128)
    code = forms.CharField(max_length=16, label="Class code")

    def clean_username(self) -> str:
        name = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("that user name is taken: choose another")
        return name

    def clean_code(self) -> Classroom:
        code = self.cleaned_data["code"].strip().upper()
        classroom = Classroom.objects.filter(code=code).first()
        if classroom is None:
            raise forms.ValidationError("no class has that code: check it with your teacher")
        return classroom

    def clean(self) -> dict:
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "the two passwords differ")
        elif password and data.get("username"):
            try:
                validate_password(password, User(username=data["username"]))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
