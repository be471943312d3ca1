"""Validated input types for version-neutral commands (pydantic), shared with the REST layer.

The REST API takes the command models as request bodies (so its OpenAPI schema documents
them); the gRPC API and the gateway validate JSON with the same models. Every refusal
names the field: `describe()` renders a ValidationError as ``path: message`` (e.g.
``profile.schedules[0].rate_unit: must be one of A, W``).

Input rules the models share:
- unknown fields are refused; a field given as null counts as absent;
- integers are JSON integers (an integral float such as 2.0 is accepted, a bool or a string
  is not); identifiers sent to chargers are 32-bit signed integers;
- enumerations are matched case-insensitively (some accept the other version's spelling);
- date-times are ISO 8601 with a UTC offset, kept at millisecond precision in UTC.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError, model_validator
from pydantic_core import PydanticCustomError, core_schema

INT32_MAX = 2**31 - 1
MAX_NUMBER = 1e9
_URI = re.compile(r"^\w+:(/?/?)[^\s]+\Z")  # the OCPP schemas' "uri" format, as their validator checks it


def invalid(message: str) -> PydanticCustomError:
    """A validation error with exactly this message (pydantic adds no prefix)."""
    return PydanticCustomError("invalid", message)


class InputModel(BaseModel):
    """Base of every command model and its parts: immutable, strict about unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; validating it again gives an equal model."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return out


# -- numbers -------------------------------------------------------------------------------


def _integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise invalid("must be an integer")
        return int(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise invalid("must be a number")
    return float(value)


@dataclass(frozen=True, slots=True)
class Integer:
    """An integer in [minimum, maximum] (use as ``Annotated[int, Integer(...)]``)."""

    minimum: int = 0
    maximum: int = INT32_MAX

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _integer, core_schema.int_schema(ge=self.minimum, le=self.maximum)
        )


@dataclass(frozen=True, slots=True)
class Decimal:
    """A finite number in [minimum, 1e9] (use as ``Annotated[float, Decimal()]``)."""

    minimum: float = 0.0

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _number, core_schema.float_schema(ge=self.minimum, le=MAX_NUMBER, allow_inf_nan=False)
        )


Int32 = Annotated[int, Integer()]
Positive32 = Annotated[int, Integer(minimum=1)]
Phase = Annotated[int, Integer(minimum=1, maximum=3)]
Number = Annotated[float, Decimal()]


def new_request_id() -> int:
    """A random positive 32-bit id for requestId / remoteStartId when the caller gives none."""
    return 1 + secrets.randbelow(INT32_MAX)


def request_id(description: str) -> Any:
    """An optional id field: a random positive 32-bit one when absent."""
    return Field(default_factory=new_request_id, description=description)


# -- text --------------------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise invalid("must not contain NUL characters")
    return value


@dataclass(frozen=True, slots=True)
class Text:
    """A string of at most `max_length` characters, not empty unless allowed, no NUL."""

    max_length: int
    allow_empty: bool = False
    check: Callable[[str], None] | None = field(default=None, compare=False)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        check = self.check

        def after(value: str) -> str:
            _no_nul(value)
            if check is not None:
                try:
                    check(value)
                except ValueError as exc:
                    raise invalid(str(exc)) from None
            return value

        base = core_schema.str_schema(min_length=0 if self.allow_empty else 1, max_length=self.max_length)
        return core_schema.no_info_after_validator_function(after, base)


IdToken = Annotated[str, Text(36)]  # 2.0.1 IdToken.idToken (identifierString 36); a 1.6 idTag takes 20


def _uri(value: str) -> None:
    if not _URI.match(value):
        raise ValueError("must be a URI such as ftp://host/path")


Uri = Annotated[str, Text(512, check=_uri)]


@dataclass(frozen=True, slots=True)
class OneOf:
    """One of `values`, compared case-insensitively; `aliases` maps other spellings
    (e.g. the other OCPP version's name) to a value."""

    values: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        by_lower = {v.lower(): v for v in self.values}
        by_lower.update({k.lower(): v for k, v in self.aliases})
        allowed = ", ".join(sorted(set(self.values)))

        def pick(value: Any) -> str:
            if isinstance(value, str):
                found = by_lower.get(value.lower())
                if found is not None:
                    return found
            raise invalid(f"must be one of {allowed}")

        return core_schema.no_info_plain_validator_function(
            pick,
            json_schema_input_schema=core_schema.literal_schema(list(self.values)),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def one_of(*values: str, **aliases: str) -> OneOf:
    return OneOf(values, tuple(aliases.items()))


ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization")
IdTokenType = Annotated[str, one_of(*ID_TOKEN_TYPES)]


# -- lists ---------------------------------------------------------------------------------------


def _json_list(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise invalid("must be a list")
    return value


@dataclass(frozen=True, slots=True)
class Items:
    """A JSON list (kept as a tuple: models are immutable) of at most `max_length` items."""

    max_length: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # The tuple schema of the annotated type, with its length bound.
        schema = cast(core_schema.CoreSchema, {**handler(source), "max_length": self.max_length})
        return core_schema.no_info_before_validator_function(_json_list, schema)


# -- date-times and ids --------------------------------------------------------------------------


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise invalid("must be an ISO 8601 date-time") from None
    else:
        raise invalid("must be an ISO 8601 date-time string")
    if parsed.tzinfo is None:
        raise invalid("must include a UTC offset (e.g. 2026-01-31T12:00:00Z)")
    # Chargers get millisecond precision: keep exactly what will be sent.
    return parsed.astimezone(UTC).replace(microsecond=parsed.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class _Moment:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _moment, core_schema.datetime_schema(tz_constraint="aware")
        )


Moment = Annotated[datetime, _Moment()]


def _transaction_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 36:
        raise invalid("must be a transaction id (1 to 36 characters, or an integer)")
    return value


@dataclass(frozen=True, slots=True)
class _TransactionId:
    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _transaction_id,
            json_schema_input_schema=core_schema.union_schema(
                [core_schema.str_schema(min_length=1, max_length=36), core_schema.int_schema()]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


TransactionId = Annotated[str, _TransactionId()]


# -- errors ----------------------------------------------------------------------------------------


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(exc: ValidationError) -> str:
    """``path: message`` for each error, e.g. ``schedules[0].periods[0].limit: Field required``."""
    return "; ".join(f"{_path(tuple(e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False))
