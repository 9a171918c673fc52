"""Request validation with LiteLLM's own pydantic request models, stricter than LiteLLM.

LiteLLM (FastAPI) validates a body with its request model and answers 422 with
``{"detail": [{"type", "loc", "msg"}]}`` (proxy_server.py: otel_request_validation_exception_handler,
proxy/common_utils/validation_error_body.py: public_validation_errors). The models ignore
unknown fields, so a misspelt field is a silent no-op in production. Here every field the
model (or a nested model) does not define is rejected with the same 422 shape and pydantic's
own ``extra_forbidden`` error, so such a bug fails the tests.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from litellm.proxy import _types as litellm_types
from pydantic import BaseModel, ValidationError

MODELS: dict[str, type[BaseModel]] = {
    name: getattr(litellm_types, name)
    for name in (
        "GenerateKeyRequest",
        "UpdateKeyRequest",
        "RegenerateKeyRequest",
        "KeyRequest",
        "BlockKeyRequest",
        "NewTeamRequest",
        "UpdateTeamRequest",
        "DeleteTeamRequest",
        "TeamMemberAddRequest",
        "TeamMemberDeleteRequest",
        "TeamMemberUpdateRequest",
        "BudgetNewRequest",
        "BudgetRequest",
        "BudgetDeleteRequest",
    )
}


class RequestInvalid(Exception):
    """A body LiteLLM (or the stricter simulator) answers with 422."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"detail": self.errors}


def _model_classes(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models reachable from a field annotation (through Optional, Union, list, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found.extend(_model_classes(argument))
    return found


def _accepts_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, typing.Sequence):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_accepts_list(argument) for argument in typing.get_args(annotation))
    return False


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
    return names


def unknown_fields(model: type[BaseModel], data: Any, location: tuple[Any, ...] = ("body",)) -> list[dict[str, Any]]:
    """``extra_forbidden`` errors for every key the model, or the nested models it holds, does not define."""
    if not isinstance(data, Mapping):
        return []
    known = _field_names(model)
    errors: list[dict[str, Any]] = []
    for name, value in data.items():
        if name not in known:
            errors.append(
                {"type": "extra_forbidden", "loc": [*location, name], "msg": "Extra inputs are not permitted"}
            )
            continue
        annotation = model.model_fields[name].annotation
        nested = _model_classes(annotation)
        if not nested:
            continue
        items = value if isinstance(value, list) and _accepts_list(annotation) else [value]
        for index, item in enumerate(items):
            item_location = (*location, name, index) if item is not value else (*location, name)
            candidates = [unknown_fields(candidate, item, item_location) for candidate in nested]
            errors.extend(min(candidates, key=len))
    return errors


def validate(model_name: str, body: Any) -> BaseModel:
    """Validate a JSON body as LiteLLM would, rejecting unknown fields; raise RequestInvalid."""
    model = MODELS[model_name]
    if not isinstance(body, Mapping):
        raise RequestInvalid(
            [
                {
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                }
            ]
        )
    errors = unknown_fields(model, body)
    try:
        instance = model.model_validate(dict(body))
    except ValidationError as exc:
        errors.extend(
            {"type": error["type"], "loc": ["body", *error["loc"]], "msg": error["msg"]}
            for error in exc.errors(include_url=False)
        )
        raise RequestInvalid(errors) from None
    if errors:
        raise RequestInvalid(errors)
    return instance


def validate_query(name: str, raw: str | None, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer query parameter with FastAPI's ``Query(ge=..., le=...)`` errors."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestInvalid(
            [
                {
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                }
            ]
        ) from None
    if value < minimum:
        raise RequestInvalid(
            [
                {
                    "type": "greater_than_equal",
                    "loc": ["query", name],
                    "msg": f"Input should be greater than or equal to {minimum}",
                }
            ]
        )
    if maximum is not None and value > maximum:
        raise RequestInvalid(
            [
                {
                    "type": "less_than_equal",
                    "loc": ["query", name],
                    "msg": f"Input should be less than or equal to {maximum}",
                }
            ]
        )
    return value
