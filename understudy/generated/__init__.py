"""Behaviour generated from a spec, for every operation no handler claims: credentials per
security scheme (`credentials`), resources inferred from the paths and their starting state
(`resources`), schema-valid bodies (`bodies`), the answer of an operation (`handler`) and its
client errors (`problems`)."""

from .bodies import Bodies, Unsatisfiable
from .credentials import Credential, Credentials, secret_names
from .handler import Answer, GeneratedOperation, negotiate
from .problems import client_error, problem
from .resources import Resource, Resources, infer, seed

__all__ = ["Answer", "Bodies", "Credential", "Credentials", "GeneratedOperation", "Resource", "Resources",
           "Unsatisfiable", "client_error", "infer", "negotiate", "problem", "secret_names", "seed"]
