"""The dashboard's side of kubectl: download a kubeconfig for a sandbox (a fresh token each time)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from kubeapi.kubeconfig import Context, render_kubeconfig
from kubeapi.tokens import kube_token_issue
from labs.views.common import error_fragment, sandbox_for

NOT_SERVED = (
    "this installation does not serve the Kubernetes API: start it with `podpath serve --kube-tls PORT` "
    "or set PODPATH_KUBE_SERVER (docs/kubectl.md)"
)


@login_required
@require_POST
def kubeconfig(request: HttpRequest, name: str) -> HttpResponse:
    """A kubeconfig whose one context is this sandbox, as a file to save (it replaces an earlier one's token)."""
    sandbox = sandbox_for(request, name)
    server = settings.PODPATH_KUBE_SERVER
    if not server:
        return error_fragment(NOT_SERVED, status=409)
    token = kube_token_issue(user=request.user, sandbox=sandbox)
    ca = None
    if server.startswith("https://"):
        from kubeapi.tls import ca_certificate

        ca = ca_certificate()
    text = render_kubeconfig(
        server=server, contexts=[Context(sandbox.name, request.user.get_username(), token)], ca_pem=ca
    )
    response = HttpResponse(text, content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="podpath-{sandbox.name}.yaml"'
    return response
