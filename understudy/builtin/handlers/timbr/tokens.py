"""`POST /timbr/api/get_token`: the caller's Timbr token, for the Fernet bearer it sent."""

from understudy.context import principal

from .common import ok


async def get_token():
    return ok([principal()["token"]])
