"""Every resource type of the API as a jsonapi table: its collection, links, relationships,
filters and paging defaults. Handlers read these; none of them repeats the rendering."""

import base64
import hashlib

from understudy.context import store
from understudy.jsonapi import Rel, Resource

from . import access


def with_user_fields(doc: dict) -> dict:
    """Members show the user's name and email beside their roles."""
    user = store().get("users", doc["user_id"]) or {"attributes": {}}
    names = {k: user["attributes"].get(k) for k in ("first_name", "last_name", "email")}
    return {**doc, "attributes": {**names, "roles": doc["roles"]}}


def fingerprint(doc: dict) -> None:
    """An SSH key's MD5 fingerprint, as `ssh-keygen -l -E md5` prints it."""
    key = doc["attributes"].get("key", "")
    parts = key.split()
    try:
        raw = base64.b64decode(parts[1], validate=True) if len(parts) > 1 else key.encode()
    except ValueError:
        raw = key.encode()
    digest = hashlib.md5(raw).hexdigest()
    doc["attributes"]["fingerprint"] = ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def has_draft(doc: dict, value) -> bool:
    wanted = value if isinstance(value, bool) else str(value).lower() == "true"
    return (store().first("flow_drafts", flow_id=doc["id"]) is not None) == wanted


def command_revision(node: dict) -> str | None:
    """The component version a step's command names (`team/repo:function@revision`), unless it
    asks for `@latest` or names none."""
    command = node.get("command") if isinstance(node.get("command"), str) else ""
    _, at, revision = command.rpartition("@")
    return revision if at and revision and revision != "latest" else None


def step_revision(node: dict) -> str | None:
    """The component version a step runs: the command's `@revision`, or (for `@latest` or none)
    the component's latest version."""
    revision = command_revision(node)
    if revision:
        return revision
    component = store().get("components", node.get("component_id")) if isinstance(node.get("component_id"), str) \
        else None
    return (component or {}).get("latest_version_id")


def with_descriptors(doc: dict) -> dict:
    """A flow's `descriptor` relationship: the descriptors of the component versions its steps run."""
    nodes = ((doc.get("attributes") or {}).get("graph") or {}).get("nodes") or []
    revisions = dict.fromkeys(r for n in nodes if isinstance(n, dict) and (r := step_revision(n)))
    return {**doc, "descriptor_ids": [r for r in revisions if store().get("descriptors", r) is not None]}


def uses_component(doc: dict, value) -> bool:
    return str(value) in doc.get("component_ids", [])


# Relationships a client may name. Each id it sends is reached as the caller (access.py): another
# tenant's or contract's object is not found, as a GET of it would answer. `fixed` ones are set on
# create only (a document stays in its workspace, contract or tenant); `writable=False` ones are
# set by the server (the user who created it, the tenant of the path) and only checked.
def user_rel(field: str = "user_id") -> Rel:
    return Rel("user", field, link="/users/{ref}", writable=False, reach=access.user)


def workspace_rel(field: str = "workspace_id") -> Rel:
    return Rel("workspace", field, link="/workspaces/{ref}", fixed=True, reach=access.workspace)


def contract_rel(field: str = "contract_id") -> Rel:
    return Rel("contract", field, link="/contracts/{ref}", fixed=True, reach=access.contract)


def tenant_rel() -> Rel:
    return Rel("tenant", "tenant_id", link="/tenants/{ref}", writable=False, reach=access.tenant)


def component_rel(field: str = "component_id", target: Resource | None = None, fixed: bool = True) -> Rel:
    return Rel("component", field, link="/components/{ref}", target=target, fixed=fixed, reach=access.component)


def flow_rel() -> Rel:
    return Rel("flow", "flow_id", link="/flows/{ref}", writable=False, reach=access.flow)


def vpn_agent_rel() -> Rel:  # the mock keeps no VPN agents: nothing to reach
    return Rel("vpn-agent", "vpn_agent_id", link="/agents/vpn/{ref}")


USER = Resource("user", "users", "/users/{id}", writable=("first_name", "last_name", "email", "company"),
                label="User")
OPENID_IDENTITY = Resource("openid-identity", "openid_identities", "/users/{user_id}/openid/identities/{id}",
                           {"user": user_rel()}, writable=("iss", "sub"), label="OpenID identity")

WORKSPACE_MEMBER = Resource("member", "workspace_members", "/members/{user_id}", id_field="user_id",
                            expand=with_user_fields, label="Member")
WORKSPACE_INVITE = Resource("workspace-invite", "workspace_invites", "/workspaces/{workspace_id}/invite/{id}",
                            label="Invite")
WORKSPACE = Resource(
    "workspace", "workspaces", "/workspaces/{id}",
    {"contract": contract_rel(),
     "members": Rel("member", target=WORKSPACE_MEMBER, owner_field="workspace_id",
                    link="/workspaces/{id}/members/", writable=False),
     "invites": Rel("workspace-invite", target=WORKSPACE_INVITE, owner_field="workspace_id",
                    link="/workspaces/{id}/invites/", writable=False)},
    writable=("name", "type", "flow_stats_enabled_default"), defaults={"type": "full"},
    page_size=20, label="Workspace")

CONTRACT_MEMBER = Resource("contract-member", "contract_members", "/members/{user_id}", {"user": user_rel()},
                           id_field="user_id", expand=with_user_fields, label="Member")
CONTRACT_INVITE = Resource("contract-invite", "contract_invites",
                           writable=("email", "roles", "workspace_id", "workspace_roles"), label="Invite")
CONTRACT = Resource(
    "contract", "contracts", "/contracts/{id}",
    {"members": Rel("contract-member", target=CONTRACT_MEMBER, owner_field="contract_id",
                    link="/contracts/{id}/members/", writable=False),
     "invites": Rel("contract-invite", target=CONTRACT_INVITE, owner_field="contract_id",
                    link="/contracts/{id}/invites/", writable=False),
     "workspaces": Rel("workspace", target=WORKSPACE, owner_field="contract_id", writable=False)},
    writable=("name", "available_roles", "support_user_id", "custom_data", "flow_stats_enabled_default"),
    defaults={"status": "active", "available_roles": []}, page_size=20, label="Contract")

COMPONENT_VERSION = Resource(
    "version", "component_versions", "/versions/{id}",
    {"descriptor": Rel("descriptor", "id", link="/components/{component_id}/versions/{ref}/descriptor",
                       writable=False),
     "component": component_rel()}, label="Version")
DESCRIPTOR = Resource("descriptor", "descriptors", "/descriptors/{id}",
                      {"version": Rel("version", "id", link="/versions/{ref}", writable=False)}, label="Descriptor")
COMPONENT = Resource(
    "component", "components", "/components/{id}",
    {"versions": Rel("version", related="/components/{id}/versions", writable=False),
     "latest_version": Rel("version", "latest_version_id", link="/components/{id}/versions/latest",
                           target=COMPONENT_VERSION, writable=False),
     "team": Rel("team", "team_id", link="/teams/{ref}", fixed=True, reach=access.team),
     "contract": contract_rel()},
    writable=("name", "icon", "docker_repo_name", "docker_target_tag", "access", "whitelisted_contract_ids"),
    defaults={"access": "team", "whitelisted_contract_ids": []}, label="Component")
COMPONENT_ENV = Resource("component-env", "component_envs", "/component-envs/{id}", writable=("vars",),
                         label="Component environment")

TEAM = Resource(
    "team", "teams", "/teams/{id}",
    {"contract": contract_rel(), "users": Rel("user", "user_ids", many=True, writable=False),
     "components": Rel("component", target=COMPONENT, owner_field="team_id", writable=False)},
    writable=("name", "docker_registry"), hidden=("docker_registry",), label="Team")

# A running flow's containers: one per step and per mapper (PR#492's `include=flow-containers`).
FLOW_CONTAINER = Resource("flow-container", "flow_containers", "/flows/{flow_id}/flow-containers/{id}",
                          {"flow": flow_rel()}, label="Flow container")
FLOW = Resource(
    "flow", "flows", "/flows/{id}",
    {"user": user_rel(), "workspace": workspace_rel(),
     "versions": Rel("flow-version", related="/flows/{id}/versions", writable=False),
     "latest_version": Rel("flow-version", "latest_version_id", link="/flows/{id}/versions/{ref}",
                           related="/flows/{id}/versions/{ref}", writable=False),
     "flow-containers": Rel("flow-container", target=FLOW_CONTAINER, owner_field="flow_id", writable=False),
     "descriptor": Rel("descriptor", "descriptor_ids", many=True, target=DESCRIPTOR, writable=False,
                       reach=access.descriptor),
     "queue": Rel("queue-name", "queue_id", writable=False)},  # a debug run's queue
    writable=("name", "description", "type", "graph", "nodes_config", "stats_enabled", "cron",
              "default_mapper_type"),
    defaults={"status": "inactive", "current_status": "inactive", "description": None, "cron": None,
              "default_mapper_type": "jsonata", "nodes_config": {}, "stats_enabled": True,
              "api_version": "2.0"},
    filters={"status": "attributes.status", "type": "attributes.type", "user": "user_id",
             "has_draft": has_draft},
    sortable={"created_at": "attributes.created_at", "updated_at": "attributes.updated_at",
              "name": "attributes.name"},
    search=("attributes.name", "attributes.description"), page_size=50,
    timestamps=("created_at", "updated_at"), expand=with_descriptors, label="Flow")
FLOW_VERSION = Resource("flow-version", "flow_versions", "/flows/{flow_id}/versions/{id}",
                        {"user": user_rel(), "flow": flow_rel()},
                        sortable={"created_at": "attributes.created_at"}, page_size=50, label="Flow version")
FLOW_DRAFT = Resource("flow-draft", "flow_drafts", "/flows/{flow_id}/draft",
                      {"user": user_rel(), "flow": flow_rel()},
                      writable=("name", "description", "graph", "cron", "stats_enabled", "snapshot",
                                "nodes_config"),
                      timestamps=("created_at", "updated_at"), label="Flow draft")
SNAPSHOT = Resource("snapshot", "snapshots", "/flows/{flow_id}/snapshots/{step_id}", id_field="step_id",
                    writable=("snapshot",), label="Snapshot")

CREDENTIAL = Resource(
    "credential", "credentials", "/credentials/{id}",
    {"user": user_rel(), "component": component_rel(target=COMPONENT), "workspace": workspace_rel(),
     "vpn_agent": vpn_agent_rel()},
    writable=("name", "keys"), defaults={"keys": {}}, filters={"component": "component_id"}, label="Credential")

RECIPE = Resource(
    "recipe", "recipes", "/recipes/{id}",
    {"user": user_rel(), "workspace": workspace_rel(), "contract": contract_rel()},
    writable=("declarations", "info", "flow_templates"), members=("visibility",), page_size=50, label="Recipe")

# What a scheduled execution runs with (its request's relationships; the result shows none of them).
EXECUTION = Resource("execution-result", "executions", "/exec/result/{id}",
                     {"workspace": workspace_rel(), "vpn_agent": vpn_agent_rel(),
                      "credential": Rel("credential", "credential_id", reach=access.credential)},
                     label="Execution")

TENANT = Resource("tenant", "tenants", "/tenants/{id}", label="Tenant")
CERTIFICATE = Resource("certificate", "certificates", "/tenants/{tenant_id}/certificates/{id}",
                       {"user": user_rel(), "tenant": tenant_rel()},
                       writable=("publicKey", "privateKey"), hidden=("privateKey",), label="Certificate")
OAUTH_CLIENT = Resource("oauth-client", "oauth_clients", None,
                        {"component": component_rel(target=COMPONENT, fixed=False)},
                        writable=("client_id", "client_secret"), unique=("component_id",),
                        unique_scope=("tenant_id",), filters={"component": "component_id"}, label="OAuth client")
OPENID_PROVIDER = Resource("openid-provider", "openid_providers", "/tenants/{tenant_id}/openid/providers/{id}",
                           {"tenant": tenant_rel()},
                           writable=("issuer", "client_id", "client_secret", "response_type", "config"),
                           defaults={"response_type": "code", "config": {"auto_create_users": False}},
                           label="OpenID provider")
SAML_PROVIDER = Resource("saml-provider", "saml_providers", "/tenants/{tenant_id}/saml/providers/{id}",
                         {"tenant": tenant_rel()},
                         writable=("entity_id", "login_endpoint", "logout_endpoint", "assert_endpoint",
                                   "idp_certificates", "name_id_format", "private_key", "certificate",
                                   "force_auth", "allow_unencrypted_assertion", "config"),
                         hidden=("private_key",),
                         defaults={"force_auth": False, "allow_unencrypted_assertion": True,
                                   "config": {"auto_create_users": True}}, label="SAML provider")

AUTH_CLIENT = Resource(
    "auth-client", "auth_clients", "/auth-clients/{id}",
    {"components": Rel("component", "component_ids", many=True, reach=access.component),
     "tenant": Rel("tenant", "tenant_id", link="/tenants/{ref}", fixed=True, reach=access.tenant),
     "contract": contract_rel(), "workspace": workspace_rel()},
    writable=("name", "type", "credentials"), filters={"component": uses_component}, label="Auth client")
AUTH_SECRET = Resource(
    "auth-secret", "auth_secrets", "/workspaces/{workspace_id}/secrets/{id}",
    {"workspace": workspace_rel(), "user": user_rel(),
     "auth-client": Rel("auth-client", "auth_client_id", link="/auth-clients/{ref}", target=AUTH_CLIENT, fixed=True,
                        reach=access.auth_client)},
    writable=("name", "state", "error", "credentials"),
    filters={"user": "user_id", "auth_client": "auth_client_id"}, label="Auth secret")
TOPIC = Resource("topic", "topics", "/topics/{id}", {"workspace": workspace_rel(), "user": user_rel()},
                 writable=("name", "schema"), label="Topic")
DATA_SAMPLE = Resource(
    "data-sample", "data_samples", "/data-samples/{id}",
    {"component_version": Rel("version", "component_version_id", link="/components/{component_id}/versions/{ref}",
                              fixed=True, reach=access.version),
     "workspace": workspace_rel(), "component": component_rel(target=COMPONENT), "user": user_rel()},
    writable=("method", "result"), filters={"id": "id"}, label="Data sample")
SSHKEY = Resource("sshkey", "sshkeys", "/sshkeys/{id}", {"user": user_rel()}, writable=("key", "title"),
                  unique=("attributes.key",), unique_scope=("user_id",), prepare=fingerprint, label="SSH key")
