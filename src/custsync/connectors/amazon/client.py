"""SP-API client: base URL per region, LWA access token, JSON in, pydantic models out.

A 401/403 refreshes the access token once (``HttpClient`` calls ``LwaAuth.refresh``); a second
refusal is a ``RequestRejected`` (a ``ConfigError``) naming the operation and the error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from custsync.connectors.amazon.auth import LwaAuth
from custsync.connectors.amazon.payloads import describe_validation_error
from custsync.connectors.amazon.regions import base_url
from custsync.connectors.http import HttpClient, Quota, RequestStats
from custsync.errors import PayloadError
from custsync.settings import AmazonAccount

ModelT = TypeVar("ModelT", bound=BaseModel)


class SpApiClient:
    def __init__(self, account: AmazonAccount, http: HttpClient, auth: LwaAuth) -> None:
        self._account = account
        self._http = http
        self._auth = auth
        self.base_url = base_url(account)

    @property
    def account(self) -> AmazonAccount:
        return self._account

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    def get(
        self,
        model: type[ModelT],
        path: str,
        *,
        quota: Quota,
        params: Mapping[str, str] | None = None,
    ) -> ModelT:
        """GET ``path`` under ``quota`` and parse the body as ``model``."""
        response = self._http.request(
            "GET",
            self.base_url + path,
            operation=quota.operation,
            quota=quota,
            params=params,
            headers={"accept": "application/json"},
            auth=self._auth,
        )
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise PayloadError(
                f"account {self._account.id}: {quota.operation} response does not fit "
                f"{model.__name__}: {describe_validation_error(exc)}"
            ) from None
