"""Tiikr's workflows and their instances, scoped to the caller's company."""

from understudy.context import principal, store
from understudy.errors import not_found
from understudy.responses import json_response


def ok(data):
    return json_response({"success": True, "data": data})


def company_workflow(workflow_id: int) -> dict:
    workflow = store().get("workflows", workflow_id)
    if workflow is None or workflow["company_id"] != principal()["company_id"]:
        raise not_found("Workflow", workflow_id)
    return workflow


def public_workflow(workflow: dict) -> dict:
    instances = [i["id"] for i in store().find("instances", workflow_id=workflow["id"])]
    return {k: v for k, v in workflow.items() if k != "company_id"} | {"instances": instances}


async def test():
    user = principal()
    company = store().get("companies", user["company_id"])
    profile = {k: user[k] for k in ("id", "username", "first_name", "last_name", "role")}
    return ok({"message": "Authenticated", "user": profile | {"company": company}})


async def list_workflows():
    mine = store().find("workflows", company_id=principal()["company_id"])
    return ok([public_workflow(w) for w in mine])


async def get_workflow(workflow_id: int):
    return ok(public_workflow(company_workflow(workflow_id)))


async def get_instance(workflow_id: int, instance_id: int):
    company_workflow(workflow_id)
    instance = store().get("instances", instance_id)
    if instance is None or instance["workflow_id"] != workflow_id:
        raise not_found("Instance", instance_id)
    return ok(instance)
