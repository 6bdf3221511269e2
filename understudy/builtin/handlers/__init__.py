"""API-specific behaviour: one package per API, each declaring `API = ApiDefinition(...)`."""
