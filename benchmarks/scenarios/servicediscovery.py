"""Cloud Map's hot path: DiscoverInstances of a service of 20 registered instances, filtered by
an attribute (what a client asks on every call it routes). The setup makes an HTTP namespace,
the service and its instances."""

from __future__ import annotations

from scenarios import AwsCall, ClientFactory, Scenario

NAMESPACE = "bench-cloudmap"
SERVICE = "orders"


def _service(client: ClientFactory) -> None:
    sd = client("servicediscovery")
    found = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == NAMESPACE]
    if found:
        return
    operation = sd.create_http_namespace(Name=NAMESPACE)["OperationId"]
    namespace = sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    service = sd.create_service(Name=SERVICE, NamespaceId=namespace)["Service"]["Id"]
    for i in range(20):
        sd.register_instance(
            ServiceId=service,
            InstanceId=f"i-{i:02d}",
            Attributes={"url": f"http://10.0.0.{i}:8080", "stage": "live" if i % 2 else "canary"},
        )


SCENARIOS = (
    Scenario(
        name="servicediscovery-discover-instances",
        summary="Cloud Map DiscoverInstances of 20 instances, filtered by one attribute (10 answered)",
        setup=_service,
        requests=(
            AwsCall(
                "servicediscovery",
                "DiscoverInstances",
                {"NamespaceName": NAMESPACE, "ServiceName": SERVICE, "QueryParameters": {"stage": "live"}},
            ),
        ),
    ),
)
