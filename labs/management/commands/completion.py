"""`podpath completion bash`: print the shell code that completes podpath's commands, options and names."""

from __future__ import annotations

from labs.management.base import PodpathCommand


class Command(PodpathCommand):
    help = 'Print the bash completion script: eval "$(podpath completion bash)" (README, Shell completion).'

    def add_arguments(self, parser):
        parser.add_argument("shell", choices=["bash"])

    def handle(self, *args, shell: str, **options):
        import argcomplete

        self.stdout.write(argcomplete.shellcode(["podpath"], shell=shell), ending="")
