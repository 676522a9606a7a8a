"""The NetworkPolicy e2e suite's layout: namespaces x, y, z with pods a, b, c serving 80 and 81 over
TCP and UDP (agnhost porter), each behind a Service of its own (for probes through Services)."""

from __future__ import annotations

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"
NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")


def layout() -> str:
    # Quoted: YAML 1.1 (kubectl's) reads a bare y as true.
    docs = [
        f'apiVersion: v1\nkind: Namespace\nmetadata: {{name: "{ns}", labels: {{ns: "{ns}"}}}}\n' for ns in NAMESPACES
    ]
    for ns in NAMESPACES:
        for pod in PODS:
            docs.append(f"""apiVersion: v1
kind: Pod
metadata: {{name: "{pod}", namespace: "{ns}", labels: {{pod: "{pod}"}}}}
spec:
  containers:
  - name: porter
    image: {AGNHOST}
    args: [porter]
    env:
    - {{name: SERVE_PORT_80, value: {ns}-{pod}-80}}
    - {{name: SERVE_PORT_81, value: {ns}-{pod}-81}}
    - {{name: SERVE_UDP_PORT_80, value: {ns}-{pod}-80}}
    - {{name: SERVE_UDP_PORT_81, value: {ns}-{pod}-81}}
    ports:
    - {{name: serve-80-tcp, containerPort: 80}}
    - {{name: serve-81-tcp, containerPort: 81}}
    - {{name: serve-80-udp, containerPort: 80, protocol: UDP}}
    - {{name: serve-81-udp, containerPort: 81, protocol: UDP}}
""")
            docs.append(f"""apiVersion: v1
kind: Service
metadata: {{name: s-{ns}-{pod}, namespace: "{ns}"}}
spec:
  selector: {{pod: "{pod}"}}
  ports:
  - {{name: tcp-80, port: 80}}
  - {{name: tcp-81, port: 81}}
  - {{name: udp-80, port: 80, protocol: UDP}}
  - {{name: udp-81, port: 81, protocol: UDP}}
""")
    return "---\n".join(docs)
