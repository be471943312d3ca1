"""One typed settings object, read from CHARGEPLANE_* environment variables.

The same names appear in the Helm values (upper-cased, prefixed), so a setting means
the same thing on a laptop and in a cluster.
"""

from __future__ import annotations

import socket
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BootPolicy(StrEnum):
    DEV = "dev"  # accept and record unknown chargers
    PRODUCTION = "production"  # accept only pre-registered chargers


class UnknownBootStatus(StrEnum):
    REJECTED = "Rejected"
    PENDING = "Pending"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARGEPLANE_", extra="ignore")

    # Storage. Empty URLs mean "start embedded servers in data_dir" (all-in-one only).
    postgres_url: str = ""
    redis_url: str = ""
    data_dir: Path = Path(".chargeplane")
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)

    # Gateway (OCPP WebSocket server).
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=9000, ge=0, le=65535)
    gateway_public_url: str = ""  # what chargers dial, when not ws://host:port
    ping_interval: float = Field(default=60.0, gt=0)
    ping_timeout: float = Field(default=30.0, gt=0)
    max_frame_bytes: int = Field(default=1 << 20, ge=1024)
    compression: bool = True  # permessage-deflate (required of a CSMS by OCPP 2.0.1)
    compression_window_bits: int = Field(default=11, ge=9, le=15)
    compression_mem_level: int = Field(default=4, ge=1, le=9)
    call_timeout: float = Field(default=30.0, gt=0)  # CSMS -> charger CALL
    call_queue_limit: int = Field(default=16, ge=1)  # charger CALLs queued per connection
    open_timeout: float = Field(default=10.0, gt=0)  # opening handshake deadline

    # Connection registry in Redis.
    pod_name: str = Field(default_factory=socket.gethostname)
    gateway_grpc_address: str = ""  # how other pods reach this gateway's gRPC server
    gateway_grpc_port: int = Field(default=50052, ge=0, le=65535)  # `serve gateway` only
    presence_ttl: float = Field(default=90.0, gt=1)
    activity_flush_interval: float = Field(default=5.0, gt=0)

    # Registry / boot decisions.
    boot_policy: BootPolicy = BootPolicy.DEV
    unknown_boot_status: UnknownBootStatus = UnknownBootStatus.REJECTED
    heartbeat_interval: int = Field(default=300, ge=1)
    pending_retry_interval: int = Field(default=60, ge=1)

    # gRPC services and REST API.
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    registry_address: str = ""  # host:port of the registry service; default: own gRPC server
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    api_grpc_port: int = Field(default=50053, ge=0, le=65535)  # operator gRPC API (`serve api`)
    api_token: str = ""  # a bootstrap admin token; generated and stored when empty
    service_deadline: float = Field(default=5.0, gt=0)
    boot_deadline: float = Field(default=25.0, gt=0)  # BootNotification's registry call (storms queue)

    # Authorization and transactions (issue 3).
    auth_address: str = ""  # host:port of the auth service; default: own gRPC server
    transactions_address: str = ""  # host:port of the transactions service; default: own gRPC server
    concurrent_tx: bool = True  # answer ConcurrentTx when a token already has an active transaction
    auth_cache_ttl: float = Field(default=300.0, ge=0)  # Redis auth-decision cache; 0 disables it
    meter_stream: str = "cp:meter-values"  # Redis Stream the gateway appends meter values to
    meter_stream_group: str = "meter-writers"  # consumer group of the transactions service
    # Approximate cap of the stream (XADD MAXLEN ~); 0: never trim. Written entries are deleted
    # by the writer, so only a backlog is ever trimmed: a cap trades lost meter values for memory.
    meter_stream_maxlen: int = Field(default=0, ge=0)
    meter_batch_size: int = Field(default=500, ge=1)  # stream entries per COPY batch
    meter_writers: int = Field(default=2, ge=1)  # stream consumers per transactions-service process
    meter_block_ms: int = Field(default=200, ge=1)  # XREADGROUP block time
    meter_claim_idle_ms: int = Field(default=30_000, ge=100)  # reclaim pending entries idle this long
    meter_retention_days: int = Field(default=400, ge=1)  # meter-value partitions older than this are dropped
    meter_partitions_ahead: int = Field(default=7, ge=1)  # daily partitions made in advance
    meter_settle_max: float = Field(default=10.0, ge=0)  # longest wait of GetTransaction for queued meter values
    # The transaction change feed (ListTransactionChanges): an outbox kept this many days,
    # long polls woken by Redis pub/sub hints and re-read at the poll interval regardless.
    transaction_changes_channel: str = "cp:transaction-changes"
    transaction_changes_retention_days: float = Field(default=7.0, gt=0)
    transaction_changes_poll_interval: float = Field(default=1.0, gt=0)
    transaction_changes_max_wait: float = Field(default=30.0, ge=0)  # longest long poll

    # Billing (issue 13).
    billing_address: str = ""  # host:port of the billing service; default: own gRPC server
    billing_country_code: str = Field(default="NL", pattern=r"^[A-Z]{2}$")  # the CPO (OCPI country_code)
    billing_party_id: str = Field(default="CPL", pattern=r"^[A-Z0-9]{3}$")  # the CPO (OCPI party_id)
    billing_time_zone: str = "UTC"  # time zone of sites without billing data
    billing_location_country: str = Field(default="NLD", pattern=r"^[A-Z]{3}$")  # CDR location default
    billing_poll_interval: float = Field(default=0.5, gt=0)  # outbox and payment workers
    webhook_timeout: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=12, ge=1)  # then the delivery is dead-lettered
    webhook_backoff_base: float = Field(default=1.0, gt=0)  # s; doubles per attempt, full jitter
    webhook_backoff_max: float = Field(default=3600.0, gt=0)
    stripe_api_key: str = ""  # secret; Stripe payments are off without it
    stripe_api_base: str = ""  # another Stripe API address (tests); default api.stripe.com
    invoice_issuer: str = "chargeplane CPO"  # name and address printed on invoices
    invoice_issuer_vat_id: str = ""
    # Smart charging: an OpenADR 2.0b VEN (off without a VTN URL) whose events limit these sites.
    openadr_vtn_url: str = ""  # e.g. https://vtn.example/OpenADR2/Simple/2.0b
    openadr_ven_name: str = "chargeplane"
    openadr_ven_id: str = ""  # empty: assigned by the VTN
    openadr_sites: str = ""  # comma-separated site ids the VTN's events apply to
    openadr_cert: str = ""  # PEM files for signed messages / TLS (optional)
    openadr_key: str = ""
    openadr_ca_file: str = ""
    # Registry change stream (hints for consumers that mirror registry state: OCPI).
    registry_change_stream: str = "cp:registry-changes"  # empty: not published
    registry_change_stream_maxlen: int = Field(default=100_000, ge=0)  # approximate cap; 0: never trimmed

    # OCPI 2.2.1 (the ocpi service).
    ocpi_host: str = "127.0.0.1"
    ocpi_port: int = Field(default=8090, ge=0, le=65535)  # OCPI REST, served under /ocpi/
    ocpi_grpc_port: int = Field(default=50054, ge=0, le=65535)  # admin + authorization gRPC (`serve ocpi`)
    ocpi_address: str = ""  # host:port of the ocpi gRPC service; default: own gRPC server
    ocpi_public_url: str = ""  # how partners reach us (scheme://host[:port]); default http://host:port
    ocpi_country_code: str = Field(default="ZZ", pattern=r"^[A-Z]{2}$")  # our CPO identity (ISO 3166 alpha-2)
    ocpi_party_id: str = Field(default="CPL", pattern=r"^[A-Z0-9]{3}$")
    ocpi_business_name: str = "chargeplane"
    ocpi_business_website: str = ""
    # Key (32 bytes, url-safe base64) encrypting the credentials tokens we present to partners;
    # generated into DATA_DIR/ocpi-secret-key by `run` when empty, required by `serve ocpi`.
    ocpi_secret_key: str = ""
    ocpi_page_limit: int = Field(default=100, ge=1, le=1000)  # largest page a GET list returns
    ocpi_request_timeout: float = Field(default=10.0, gt=0)  # our calls to partners
    ocpi_push_max_attempts: int = Field(default=50, ge=1)  # then a push is dead-lettered (~4 h)
    ocpi_push_max_backoff: float = Field(default=300.0, gt=0)  # seconds between retries, at most
    ocpi_push_concurrency: int = Field(default=4, ge=1)  # requests in flight per partner
    ocpi_sync_interval: float = Field(default=60.0, gt=0)  # full re-read of locations (offline EVSEs, lost hints)
    ocpi_realtime_auth_timeout: float = Field(default=4.0, gt=0)  # POST .../authorize to an eMSP
    ocpi_auth_cache_ttl: float = Field(default=60.0, ge=0)  # real-time authorization results; 0 disables

    # Telemetry.
    log_level: str = "INFO"
    log_json: bool = True
    # gRPC-only components (registry) serve /metrics here when set; the gateway and the
    # API serve /metrics on their own HTTP ports.
    metrics_port: int = Field(default=0, ge=0, le=65535)

    def registry_target(self) -> str:
        return self.registry_address or f"{self.grpc_host}:{self.grpc_port}"

    def auth_target(self) -> str:
        return self.auth_address or f"{self.grpc_host}:{self.grpc_port}"

    def transactions_target(self) -> str:
        return self.transactions_address or f"{self.grpc_host}:{self.grpc_port}"

    def billing_target(self) -> str:
        return self.billing_address or f"{self.grpc_host}:{self.grpc_port}"

    def ocpi_target(self) -> str:
        return self.ocpi_address or f"{self.grpc_host}:{self.grpc_port}"
