"""OCPI 2.2.1 wire objects of the configuration modules and Tokens, and the envelope.

Unknown fields are ignored (a newer minor version may add some); missing required fields
and wrong types are errors that name the field.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .enums import AllowedType, ConnectionStatus, ImageCategory, InterfaceRole, ProfileType, Role, TokenType
from .enums import WhitelistType as Whitelist
from .types import (
    CiString4,
    CiString36,
    CountryCode,
    CredentialsToken,
    LanguageCode,
    OcpiDateTime,
    PartyId,
    RequiredString64,
    String64,
    String100,
    String512,
    Url,
)

T = TypeVar("T")


class OcpiModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DisplayText(OcpiModel):
    language: LanguageCode
    text: String512


class Image(OcpiModel):
    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: CiString4
    width: int | None = Field(default=None, ge=0, le=99999)
    height: int | None = Field(default=None, ge=0, le=99999)


class BusinessDetails(OcpiModel):
    name: String100
    website: Url | None = None
    logo: Image | None = None


class CredentialsRole(OcpiModel):
    role: Role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(OcpiModel):
    token: CredentialsToken
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)


class Version(OcpiModel):
    version: str = Field(min_length=1, max_length=16)
    url: Url


class Endpoint(OcpiModel):
    # A ModuleID, or a custom module a peer agreed on: kept as text.
    identifier: str = Field(min_length=1, max_length=64)
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiModel):
    version: str = Field(min_length=1, max_length=16)
    endpoints: list[Endpoint]


class EnergyContract(OcpiModel):
    supplier_name: RequiredString64
    contract_id: String64 | None = None


class Token(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: RequiredString64
    group_id: CiString36 | None = None
    valid: bool
    whitelist: Whitelist
    language: LanguageCode | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: OcpiDateTime


class TokenPatch(OcpiModel):
    """PATCH: only the fields that change, and always last_updated."""

    country_code: CountryCode | None = None
    party_id: PartyId | None = None
    uid: CiString36 | None = None
    type: TokenType | None = None
    contract_id: CiString36 | None = None
    visual_number: String64 | None = None
    issuer: RequiredString64 | None = None
    group_id: CiString36 | None = None
    valid: bool | None = None
    whitelist: Whitelist | None = None
    language: LanguageCode | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: OcpiDateTime


class LocationReferences(OcpiModel):
    location_id: CiString36
    evse_uids: list[CiString36] = Field(default_factory=list)


class AuthorizationInfo(OcpiModel):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None


class ClientInfo(OcpiModel):
    party_id: PartyId
    country_code: CountryCode
    role: Role
    status: ConnectionStatus
    last_updated: OcpiDateTime


class Envelope(BaseModel, Generic[T]):
    """Every OCPI response (transport chapter, "Response format")."""

    data: T | None = None
    status_code: int = Field(ge=1000, le=4999)
    status_message: str | None = None
    timestamp: OcpiDateTime


class ErrorEnvelope(BaseModel):
    """An error answer: no data field."""

    status_code: int = Field(ge=1000, le=4999)
    status_message: str | None = None
    timestamp: OcpiDateTime
