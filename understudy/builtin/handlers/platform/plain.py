"""The plain-CRUD collections: each is one generic jsonapi.Crud over its table and a guard
naming the permission each action needs. The spec's operationIds point here
(`plain.topics.index`, `plain.credentials.update`, ...)."""

from understudy.jsonapi import Crud

from .access import own_guard, tenant_guard, workspace_guard
from .resources import (CERTIFICATE, CREDENTIAL, OAUTH_CLIENT, OPENID_PROVIDER, SAML_PROVIDER, SSHKEY,
                        TOPIC, AUTH_SECRET)


def actions(read: str | None, create: str | None, edit: str | None = None, delete: str | None = None) -> dict:
    edit = edit or create
    return {"list": read, "show": read, "create": create, "update": edit, "delete": delete or edit}


topics = Crud(TOPIC, workspace_guard(actions("workspaces.topic.get", "workspaces.topic.create",
                                             "workspaces.topic.edit", "workspaces.topic.delete")), "topic_id")
credentials = Crud(CREDENTIAL, workspace_guard(actions(None, "workspaces.credential.edit")), "credential_id")
secrets = Crud(AUTH_SECRET, workspace_guard(actions("workspaces.auth_secret.get", "workspaces.auth_secret.create",
                                                    "workspaces.auth_secret.edit",
                                                    "workspaces.auth_secret.delete")), "secret_id")
sshkeys = Crud(SSHKEY, own_guard, "key_id")
certificates = Crud(CERTIFICATE, tenant_guard(actions("tenants.certificate.get_info", "tenants.certificate.create",
                                                      "tenants.certificate.edit", "tenants.certificate.delete")),
                    "certificate_id")
oauth_clients = Crud(OAUTH_CLIENT, tenant_guard(actions("tenants.oauth_clients.get", "tenants.oauth_clients.create",
                                                        "tenants.oauth_clients.edit",
                                                        "tenants.oauth_clients.delete")), "oauth_client_id")
openid_providers = Crud(OPENID_PROVIDER, tenant_guard(actions("tenants.tenant.get", "tenants.tenant.edit")),
                        "provider_id")
saml_providers = Crud(SAML_PROVIDER, tenant_guard(actions("tenants.tenant.get", "tenants.tenant.edit")),
                      "provider_id")
