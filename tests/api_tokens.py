from rest_framework.test import APIClient

from accounts.models import ApiToken


def token_client(user, *, days: int = 30) -> APIClient:
    """An API client authenticated with a fresh token of `user`."""
    _token, key = ApiToken.issue(user=user, name="test", days=days)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
