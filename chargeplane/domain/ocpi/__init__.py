"""OCPI 2.2.1 without I/O: the wire objects (pydantic), enumerations and status codes, the
OCPP -> OCPI status mapping, the Locations projection rules and the token whitelist rules.

Field names, lengths and enumerations follow the 2.2.1 text (modules credentials,
versions, locations, tokens, hubclientinfo; chapter 16 types; chapter 5 status codes).
"""
