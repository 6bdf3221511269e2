"""Tenants (white-label installations), their roles, certificates, admins and sign-in
providers. Certificates, OAuth clients and providers are plain collections (`plain.py`)."""

import re
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from understudy import jsonapi
from understudy.context import store
from understudy.errors import conflict, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import CERTIFICATE, TENANT


async def create_tenant(body):
    access.need("tenants.tenant.create", access.tenant_permissions(access.me()["tenant_id"]), "the installation")
    access.support_user(body)
    doc = jsonapi.create(TENANT, body, {"roles": []})
    return jsonapi.respond(TENANT, doc, 201)


async def update_tenant(tenant_id, body):
    doc = access.tenant(tenant_id, "tenants.tenant.edit")
    access.support_user(body)
    return jsonapi.respond(TENANT, jsonapi.update(TENANT, doc, body))


async def list_tenants(**params):
    tenant_id = access.me()["tenant_id"]
    access.need("tenants.tenant.get", access.tenant_permissions(tenant_id), "your tenant")
    return json_response(jsonapi.collection(TENANT, store().find("tenants", id=tenant_id), params))


async def get_tenant(tenant_id):
    return jsonapi.respond(TENANT, access.tenant(tenant_id, "tenants.tenant.get"))


async def delete_tenant(tenant_id):
    access.tenant(tenant_id, "tenants.tenant.delete")
    if store().find("contracts", tenant_id=tenant_id):
        raise conflict(f"Tenant {tenant_id} still has contracts")
    store().delete("tenants", tenant_id)
    return empty_response(204)


def policy_document(tenant: dict) -> dict:
    self_link = jsonapi.link("/tenants/{id}/roles", tenant)
    return {"data": {"id": tenant["id"], "type": "tenant-policy", "attributes": {"roles": tenant.get("roles", [])},
                     "relationships": {"tenant": {"data": {"id": tenant["id"], "type": "tenant"},
                                                  "links": {"self": jsonapi.link("/tenants/{id}", tenant)}}}},
            "meta": {}, "links": {"self": self_link}}


async def get_roles(tenant_id):
    return json_response(policy_document(access.tenant(tenant_id, "tenants.tenant.list_roles")))


async def update_roles(tenant_id, body):
    access.tenant(tenant_id, "tenants.tenant.edit_roles")
    attributes, _ = jsonapi.incoming(TENANT, body, type_="tenant-policy")
    tenant = store().update("tenants", tenant_id, {"roles": attributes.get("roles", [])})
    return json_response(policy_document(tenant))


async def list_permissions():
    return json_response({"data": {"id": None, "type": "permissions",
                                   "attributes": {"permissions": access.policy()["public"]}}, "meta": {}})


def x509_meta(pem: str) -> dict:
    """What the platform reads from a PEM certificate; empty when it is not one."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return {}

    def common_name(name) -> str | None:
        found = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return str(found[0].value) if found else None

    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        alt = []
    return {"version": cert.version.value + 1, "subject": {"commonName": common_name(cert.subject)},
            "issuer": {"commonName": common_name(cert.issuer)}, "serial": format(cert.serial_number, "X"),
            "notBefore": cert.not_valid_before_utc.isoformat(), "notAfter": cert.not_valid_after_utc.isoformat(),
            "signatureAlgorithm": cert.signature_algorithm_oid._name,
            "fingerPrint": cert.fingerprint(hashes.SHA1()).hex(":").upper(), "altNames": list(alt)}


def certificate_document(doc: dict, private_key: str | None = None) -> dict:
    document = jsonapi.document(CERTIFICATE, doc, meta=x509_meta(doc["attributes"].get("publicKey", "")))
    if private_key is not None:
        document["data"]["attributes"]["privateKey"] = private_key
    return document


PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----\s*", re.S)


def from_pem_file(text: str) -> dict:
    """A certificate request from an uploaded PEM file: its certificates and its private key."""
    blocks = [(m.group(1), m.group(0).strip()) for m in PEM_BLOCK.finditer(text)]
    return {"data": {"type": "certificate", "attributes": {
        "publicKey": "\n".join(b for kind, b in blocks if "CERTIFICATE" in kind) or text,
        "privateKey": "\n".join(b for kind, b in blocks if "PRIVATE KEY" in kind)}}}


async def uploaded_text(upload) -> str:
    """The text of an uploaded file, which is closed at once (whatever happens next)."""
    try:
        content = await upload.read() if hasattr(upload, "read") else upload
    finally:
        if hasattr(upload, "close"):
            await upload.close()
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)


async def create_certificate(tenant_id, body=None, cert=None):
    if cert is not None:  # multipart/form-data: --form cert=@file
        body = from_pem_file(await uploaded_text(cert))
    access.tenant(tenant_id, "tenants.certificate.create")
    doc = jsonapi.build(CERTIFICATE, body, {"tenant_id": tenant_id, "user_id": access.me()["id"]})
    doc["attributes"].update(salt=secrets.token_hex(16), iv=secrets.token_hex(16), owner=access.me()["id"],
                             tenant=tenant_id, algorithm="aes-256-cbc", key_length=32)
    doc = jsonapi.insert(CERTIFICATE, doc)
    return json_response(certificate_document(doc, doc["attributes"]["privateKey"]), 201)


async def get_certificate(tenant_id, certificate_id):
    access.tenant(tenant_id, "tenants.certificate.get_info")
    doc = jsonapi.find(CERTIFICATE, certificate_id, tenant_id=tenant_id)
    return json_response(certificate_document(doc))


async def update_certificate(tenant_id, certificate_id, body):
    access.tenant(tenant_id, "tenants.certificate.edit")
    doc = jsonapi.update(CERTIFICATE, jsonapi.find(CERTIFICATE, certificate_id, tenant_id=tenant_id), body)
    return json_response(certificate_document(doc))




async def update_member(tenant_id, user_id, body):
    access.tenant(tenant_id, "tenants.membership.edit")
    attributes, _ = jsonapi.incoming(TENANT, body, type_="tenant-member")
    user = store().get("users", user_id)
    if user is None or user.get("tenant_id") != tenant_id:
        raise not_found("User", user_id)
    user = store().update("users", user_id, {"tenant_roles": attributes.get("roles", [])})
    return json_response({"data": {
        "id": user_id, "type": "tenant-member", "attributes": {"roles": user["tenant_roles"]},
        "relationships": {"user": {"data": {"id": user_id, "type": "user"},
                                   "links": {"self": jsonapi.link("/users/{id}", user)}},
                          "tenant": {"data": {"id": tenant_id, "type": "tenant"},
                                     "links": {"self": jsonapi.link("/tenants/{tenant_id}", user)}}}}, "meta": {}})
