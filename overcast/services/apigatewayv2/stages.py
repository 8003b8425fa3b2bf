"""Deployments and stages of HTTP and WebSocket APIs: a deployment freezes what its stages
serve; a stage that deploys automatically gets a deployment of every change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.apigatewayv2.apis import _STAGE_NAME, _child
from overcast.services.apigatewayv2.common import bad_request, conflict, given, new_id, not_found, now, public

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider


class StagesMixin:
    # -- deployments -----------------------------------------------------------------------------

    def deploy(  # type: ignore[misc]
        self: Provider, doc: dict[str, Any], description: str | None = None, auto: bool = False
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "DeploymentId": new_id(6),
            "DeploymentStatus": "DEPLOYED",
            "CreatedDate": now(),
            "AutoDeployed": auto,
            "_Snapshot": self.snapshot(doc),
        }
        if description is not None:
            record["Description"] = description
        doc["Deployments"][record["DeploymentId"]] = record
        return record

    def auto_deploy(self: Provider, doc: dict[str, Any]) -> None:  # type: ignore[misc]
        """Stages that deploy automatically get a deployment of every change."""
        stages = [stage for stage in doc["Stages"].values() if stage.get("AutoDeploy")]
        if not stages or not doc["Routes"]:
            return
        record = self.deploy(
            doc, "Automatic deployment triggered by changes to the Api configuration", auto=True
        )
        for stage in stages:
            previous = stage.get("DeploymentId")
            stage["DeploymentId"] = record["DeploymentId"]
            stage["LastUpdatedDate"] = now()
            stage["LastDeploymentStatusMessage"] = (
                f"Successfully deployed stage with deployment ID '{record['DeploymentId']}'"
            )
            if (
                previous
                and previous in doc["Deployments"]
                and doc["Deployments"][previous].get("AutoDeployed")
            ):
                if not any(s.get("DeploymentId") == previous for s in doc["Stages"].values()):
                    del doc["Deployments"][previous]  # an automatic deployment no stage serves

    def create_deployment(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        stage = None
        if params.get("StageName"):
            stage = _child(doc, "stage", params["StageName"], context)
            if stage.get("AutoDeploy"):
                raise bad_request(
                    f"The stage {stage['StageName']} deploys automatically: it takes no deployments."
                )
        if not doc["Routes"]:
            raise bad_request("Unable to deploy API because no routes exist in this API")
        record = self.deploy(doc, params.get("Description"))
        if stage is not None:
            stage["DeploymentId"] = record["DeploymentId"]
            stage["LastUpdatedDate"] = now()
        self.save(context, doc)
        return public(record)

    def get_deployment(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(
            _child(self.load(context, params["ApiId"]), "deployment", params["DeploymentId"], context)
        )

    def get_deployments(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        items = sorted((public(r) for r in doc["Deployments"].values()), key=lambda r: r["CreatedDate"])
        return self.page("GetDeployments", params, items)

    def update_deployment(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "deployment", params["DeploymentId"], context)
        if params.get("Description") is not None:
            record["Description"] = params["Description"]
        self.save(context, doc)
        return public(record)

    def delete_deployment(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        record = _child(doc, "deployment", params["DeploymentId"], context)
        if any(stage.get("DeploymentId") == record["DeploymentId"] for stage in doc["Stages"].values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del doc["Deployments"][record["DeploymentId"]]
        self.save(context, doc)
        return {}

    # -- stages ----------------------------------------------------------------------------------

    @staticmethod
    def new_stage(doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        name = params["StageName"]
        if not _STAGE_NAME.match(name):
            raise bad_request(f"Stage name {name} is invalid: letters, digits, - and _ only, or $default.")
        stage = given(params, "ApiId")
        stage.update(CreatedDate=now(), LastUpdatedDate=now(), Tags=dict(params.get("Tags") or {}))
        stage.setdefault("StageVariables", {})
        stage.setdefault("RouteSettings", {})
        defaults: dict[str, Any] = {"DetailedMetricsEnabled": False}
        if doc["Api"]["ProtocolType"] == "WEBSOCKET":
            defaults["DataTraceEnabled"] = False
            defaults["LoggingLevel"] = "OFF"
        stage["DefaultRouteSettings"] = {**defaults, **(params.get("DefaultRouteSettings") or {})}
        stage["AutoDeploy"] = bool(params.get("AutoDeploy"))
        return stage

    def check_stage(self, doc: dict[str, Any], stage: dict[str, Any], context: RequestContext) -> None:
        deployment = stage.get("DeploymentId")
        if deployment and deployment not in doc["Deployments"]:
            raise bad_request(f"Deployment id {deployment} does not exist")
        if doc["Api"]["ProtocolType"] == "HTTP":
            for settings in [
                stage.get("DefaultRouteSettings") or {},
                *(stage.get("RouteSettings") or {}).values(),
            ]:
                if settings.get("DataTraceEnabled") or settings.get("LoggingLevel") not in (None, "OFF"):
                    raise bad_request("Execution logs are not supported for HTTP APIs.")
        for key in stage.get("RouteSettings") or {}:
            if not any(r["RouteKey"] == key for r in doc["Routes"].values()):
                raise not_found(
                    f"Unable to find Route by key {key} within the provided RouteSettings", "Route"
                )
        log = stage.get("AccessLogSettings") or {}
        if log.get("DestinationArn") and ":logs:" not in log["DestinationArn"]:
            raise bad_request("AccessLogSettings DestinationArn must be a CloudWatch Logs log group ARN.")

    def create_stage(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        if params["StageName"] in doc["Stages"]:
            raise conflict(f"Stage already exists: {params['StageName']}")
        stage = self.new_stage(doc, params)
        if stage["AutoDeploy"] and stage.get("DeploymentId"):
            raise bad_request("A stage that deploys automatically takes no DeploymentId.")
        self.check_stage(doc, stage, context)
        doc["Stages"][stage["StageName"]] = stage
        if stage["AutoDeploy"]:
            self.auto_deploy(doc)
        self.save(context, doc)
        return public(stage)

    def get_stage(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(_child(self.load(context, params["ApiId"]), "stage", params["StageName"], context))

    def get_stages(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        return self.page("GetStages", params, [public(r) for r in doc["Stages"].values()])

    def update_stage(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        stage = _child(doc, "stage", params["StageName"], context)
        changes = given(params, "ApiId", "StageName")
        if "DefaultRouteSettings" in changes:
            changes["DefaultRouteSettings"] = {
                **(stage.get("DefaultRouteSettings") or {}),
                **changes["DefaultRouteSettings"],
            }
        if "RouteSettings" in changes:
            changes["RouteSettings"] = {**(stage.get("RouteSettings") or {}), **changes["RouteSettings"]}
        if "StageVariables" in changes:
            changes["StageVariables"] = {**(stage.get("StageVariables") or {}), **changes["StageVariables"]}
        updated = {**stage, **changes, "LastUpdatedDate": now()}
        self.check_stage(doc, updated, context)
        doc["Stages"][stage["StageName"]] = updated
        if updated.get("AutoDeploy") and not stage.get("AutoDeploy"):
            self.auto_deploy(doc)
        self.save(context, doc)
        self.forget_stage(doc["Api"]["ApiId"], stage["StageName"])
        return public(updated)

    def delete_stage(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        doc = self.load(context, params["ApiId"])
        stage = _child(doc, "stage", params["StageName"], context)
        del doc["Stages"][stage["StageName"]]
        self.save(context, doc)
        self.forget_stage(doc["Api"]["ApiId"], stage["StageName"])
        self.close_connections(doc["Api"]["ApiId"], stage["StageName"])
        return {}

    def delete_access_log_settings(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        stage = _child(doc, "stage", params["StageName"], context)
        stage.pop("AccessLogSettings", None)
        self.save(context, doc)
        return {}

    def delete_route_settings(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.load(context, params["ApiId"])
        stage = _child(doc, "stage", params["StageName"], context)
        settings = stage.get("RouteSettings") or {}
        if params["RouteKey"] not in settings:
            raise not_found(
                f"Unable to find Route by key {params['RouteKey']} within the provided RouteSettings", "Route"
            )
        del settings[params["RouteKey"]]
        self.save(context, doc)
        self.forget_stage(doc["Api"]["ApiId"], stage["StageName"])
        return {}
