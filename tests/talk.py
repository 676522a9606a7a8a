"""The talk's five manifests, exactly as its slides show them, shared by every tier's tests."""

# As the slides show them (the Ingress's apiVersion and kind came last there).
TALK = """\
apiVersion: v1
kind: Pod
metadata:
  name: hello-world
  labels:
    app: hello-world
spec:
  containers:
  - name: hello-world
    image: hello-world:1.0
    ports:
    - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: hello-world-service
spec:
  type: ClusterIP
  ports:
    - port: 8080
      targetPort: 80
      protocol: TCP
  selector:
    app: hello-world
---
apiVersion: v1
kind: Service
metadata:
  name: hello-world
spec:
  type: LoadBalancer
  ports:
    - name: http
      port: 80
  selector:
    app: hello-world
---
spec:
  rules:
    - host: world.hello.org
      http:
        paths:
          - backend:
              serviceName: hello-world
              servicePort: 8080
    - host: darkness.hello.org
      http:
        paths:
          - path: /void/*
            backend:
              serviceName: hello-darkness
              servicePort: 8080

apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: hello-ingress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
spec:
  podSelector:
    matchLabels:
      role: backend
  policyTypes:
    - Ingress
    - Egress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: frontend
    ports:
      - protocol: TCP
        port: 6379
  egress:
  - to:
    - podSelector:
        matchLabels:
          role: database
    ports:
      - protocol: TCP
        port: 5978
"""

DOCUMENTS = TALK.split("---\n")
TALK_POD, TALK_CLUSTER_IP, TALK_LOAD_BALANCER, TALK_INGRESS, TALK_NETWORK_POLICY = DOCUMENTS
