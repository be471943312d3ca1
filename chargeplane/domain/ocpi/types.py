"""OCPI 2.2.1 field types (chapter 16) as annotated pydantic types.

CiString: printable ASCII, compared case-insensitively (country codes and party ids are
upper-cased on input so they compare equal). string: printable UTF-8 (no control
characters). DateTime: UTC, serialised with a "Z".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, StringConstraints

from .datetimes import as_utc, format_datetime

_PRINTABLE_ASCII = r"^[ -~]*$"
_PRINTABLE_UTF8 = r"^[^\x00-\x1f\x7f]*$"

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$"), AfterValidator(str.upper)]
PartyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{3}$"), AfterValidator(str.upper)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]

CiString4 = Annotated[str, StringConstraints(min_length=1, max_length=4, pattern=_PRINTABLE_ASCII)]
CiString36 = Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=_PRINTABLE_ASCII)]
CiString48 = Annotated[str, StringConstraints(min_length=1, max_length=48, pattern=_PRINTABLE_ASCII)]

String4 = Annotated[str, StringConstraints(max_length=4, pattern=_PRINTABLE_UTF8)]
String10 = Annotated[str, StringConstraints(max_length=10, pattern=_PRINTABLE_UTF8)]
String16 = Annotated[str, StringConstraints(max_length=16, pattern=_PRINTABLE_UTF8)]
String20 = Annotated[str, StringConstraints(max_length=20, pattern=_PRINTABLE_UTF8)]
String45 = Annotated[str, StringConstraints(min_length=1, max_length=45, pattern=_PRINTABLE_UTF8)]
String64 = Annotated[str, StringConstraints(max_length=64, pattern=_PRINTABLE_UTF8)]
RequiredString64 = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE_UTF8)]
String100 = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_PRINTABLE_UTF8)]
String255 = Annotated[str, StringConstraints(max_length=255, pattern=_PRINTABLE_UTF8)]
String512 = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=_PRINTABLE_UTF8)]

# A URL (string(255)); plain http is accepted for test and private deployments.
Url = Annotated[str, StringConstraints(min_length=8, max_length=255, pattern=r"^https?://[!-~]+$")]

# Credentials token: printable, non-whitespace ASCII (U+0021..U+007E), at most 64.
CredentialsToken = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")]

Latitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
Longitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]
HourMinute = Annotated[str, StringConstraints(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]

OcpiDateTime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]
