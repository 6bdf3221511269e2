"""A spec in, a normalised OpenAPI 3 document out (see `load`), and what is known about it:
its dialect's validators (`dialects`), safe patterns (`patterns`), real-world mistakes (`lint`),
the path a client sends for an awkward template (`routing`).

    spec = load_spec("openapi.yaml")            # or a URL; load_specs([...]) takes folders too
    spec.document, spec.dialect                 # OpenAPI 3.0.x / 3.1.x dict, "3.0" / "3.1"
    spec.validator(schema, "response")          # jsonschema validator, formats and refs resolved
    for mistake in lint(spec): print(mistake)   # file, JSON pointer, message
"""

from .dialects import validator_class, validator_for
from .errors import SpecError
from .lint import Mistake, lint
from .load import Spec, expand, load_spec, load_specs
from .routing import client_path, split_template

__all__ = ["Mistake", "Spec", "SpecError", "client_path", "expand", "lint", "load_spec", "load_specs",
           "split_template", "validator_class", "validator_for"]
