"""The service's settings: one pydantic-settings object read from environment variables.

Names are the operator-facing env var names (DATABASE_URL, REDIS_URL, INTAKE_*), so the same
variables configure `intake serve`, `intake worker` and a worker started on another machine.
Everything defaults to a self-contained single machine under INTAKE_DATA_DIR.
"""
from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assessment.config import AssessmentConfig
from extraction.limits import Limits
from extraction.ocr import DEFAULT_OCR_ENGINE
from intake.callback_destinations import CallbackPolicy
from intake.form_limits import FormLimits
from quality.calibration import default_calibration_path, newest_calibration_path


def _env(name: str) -> AliasChoices:
    # Accept both the env var name and the field name (Settings(data_dir=...) in tests).
    return AliasChoices(name, name.lower().removeprefix("intake_"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    data_dir: Path = Field(Path("./data"), validation_alias=_env("INTAKE_DATA_DIR"),
                           description="Root of the embedded SQLite file, blobs and Redis data.")
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"),
                                     description="SQLAlchemy URL; unset -> sqlite:///<data_dir>/intake.db")
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"),
                                  description="unset -> `intake serve` starts redis-server under <data_dir>/redis")
    queue_name: str = Field("intake", validation_alias=_env("INTAKE_QUEUE"))

    max_bytes: int = Field(50 * 1024 * 1024, validation_alias=_env("INTAKE_MAX_BYTES"), gt=0)
    max_pages: int = Field(100, validation_alias=_env("INTAKE_MAX_PAGES"), gt=0)
    max_pixels: int = Field(60_000_000, validation_alias=_env("INTAKE_MAX_PIXELS"), gt=0,
                            description="Per page, after rasterization.")
    upload_chunk_bytes: int = Field(1024 * 1024, validation_alias=_env("INTAKE_UPLOAD_CHUNK_BYTES"), gt=0)
    max_page_content_bytes: int = Field(8_000_000, validation_alias=_env("INTAKE_MAX_PAGE_CONTENT_BYTES"), gt=0,
                                        description="Decompressed content-stream bytes one PDF page may run "
                                                    "(Form XObjects counted per use); checked before parsing.")
    max_page_chars: int = Field(60_000, validation_alias=_env("INTAKE_MAX_PAGE_CHARS"), gt=0,
                                description="Characters one PDF page's text layer may draw.")
    max_page_drawings: int = Field(60_000, validation_alias=_env("INTAKE_MAX_PAGE_DRAWINGS"), gt=0,
                                   description="Shapes and images one PDF page may draw.")
    upload_max_fields: int = Field(16, validation_alias=_env("INTAKE_UPLOAD_MAX_FIELDS"), ge=0,
                                   description="Form parts besides `file` in one upload.")
    upload_max_field_bytes: int = Field(4096, validation_alias=_env("INTAKE_UPLOAD_MAX_FIELD_BYTES"), gt=0)
    upload_max_fields_bytes: int = Field(16384, validation_alias=_env("INTAKE_UPLOAD_MAX_FIELDS_BYTES"), gt=0,
                                         description="All form fields besides `file` together.")
    upload_max_part_headers: int = Field(8, validation_alias=_env("INTAKE_UPLOAD_MAX_PART_HEADERS"), gt=0)
    upload_max_part_header_bytes: int = Field(2048, validation_alias=_env("INTAKE_UPLOAD_MAX_PART_HEADER_BYTES"),
                                              gt=0, description="One header line of one form part.")

    ocr_timeout_seconds: float = Field(60.0, validation_alias=_env("INTAKE_OCR_TIMEOUT"), gt=0)
    ocr_engine: Literal["tesseract", "tesserocr"] = Field(
        DEFAULT_OCR_ENGINE, validation_alias=_env("INTAKE_OCR_ENGINE"),
        description="`tesseract`: the executable via pytesseract, a subprocess per call. `tesserocr`: "
                    "Tesseract inside the worker process, its model loaded once.")
    tessdata: str | None = Field(None, validation_alias=_env("INTAKE_TESSDATA"),
                                 description="Folder of *.traineddata for the tesserocr engine; unset -> "
                                             "TESSDATA_PREFIX, the usual install folders, or the folder the "
                                             "`tesseract` executable uses.")
    job_timeout_seconds: int = Field(600, validation_alias=_env("INTAKE_JOB_TIMEOUT"), gt=0)
    worker_memory_limit_mb: int = Field(
        1536, validation_alias=_env("INTAKE_WORKER_MEMORY_LIMIT_MB"), ge=0,
        description="Address space (RLIMIT_AS) a job's work may use in its work horse; past it the "
                    "document fails at once with limit_exceeded. 0: no cap.")
    retry_max: int = Field(3, validation_alias=_env("INTAKE_RETRY_MAX"), ge=1)
    retry_intervals: list[int] = Field([10, 30, 90], validation_alias=_env("INTAKE_RETRY_INTERVALS"))
    max_attempts: int = Field(5, validation_alias=_env("INTAKE_MAX_ATTEMPTS"), ge=1,
                              description="Executions of one step (incl. ones killed mid-way) before the "
                                          "reconciler gives up and fails the document.")
    lease_seconds: int = Field(60, validation_alias=_env("INTAKE_LEASE_SECONDS"), ge=3,
                               description="A running step renews its lease every third of this; an "
                                           "expired lease means its worker died.")
    reconcile_interval_seconds: float = Field(30.0, validation_alias=_env("INTAKE_RECONCILE_INTERVAL"), gt=0)
    reconcile_grace_seconds: float = Field(30.0, validation_alias=_env("INTAKE_RECONCILE_GRACE"), ge=0,
                                           description="Rows younger than this are left to the normal path.")
    result_ttl_seconds: int = Field(3600, validation_alias=_env("INTAKE_RESULT_TTL"), ge=0)
    blob_sweep_interval_seconds: float = Field(3600.0, validation_alias=_env("INTAKE_BLOB_SWEEP_INTERVAL"), gt=0,
                                               description="How often `intake serve` removes blobs no row "
                                                           "references (`intake blobs sweep` runs one now).")
    blob_sweep_grace_seconds: float = Field(3600.0, validation_alias=_env("INTAKE_BLOB_SWEEP_GRACE"), ge=0,
                                            description="Blobs younger than this are kept: their row may be "
                                                        "about to be written.")

    callback_timeout_seconds: float = Field(10.0, validation_alias=_env("INTAKE_CALLBACK_TIMEOUT"), gt=0)
    callback_allow_http: bool = Field(False, validation_alias=_env("INTAKE_CALLBACK_ALLOW_HTTP"),
                                      description="Accept plain http callback URLs (development only).")
    callback_allow: list[str] = Field(default_factory=list, validation_alias=_env("INTAKE_CALLBACK_ALLOW"),
                                      description="Internal callback receivers (JSON list): CIDRs or addresses "
                                                  "(`10.20.0.0/16`) and host names; every other destination "
                                                  "must resolve to public addresses only.")
    outbox_interval_seconds: float = Field(5.0, validation_alias=_env("INTAKE_OUTBOX_INTERVAL"), gt=0,
                                           description="How often `intake serve` looks for due outbox "
                                                       "events (completion and determination callbacks).")
    outbox_batch: int = Field(100, validation_alias=_env("INTAKE_OUTBOX_BATCH"), ge=1,
                              description="Outbox events one pass sends at most.")
    outbox_max_attempts: int = Field(12, validation_alias=_env("INTAKE_OUTBOX_MAX_ATTEMPTS"), ge=1,
                                     description="Delivery attempts of one event before it is marked failed.")
    outbox_backoff_seconds: float = Field(10.0, validation_alias=_env("INTAKE_OUTBOX_BACKOFF"), gt=0,
                                          description="Wait after the first failed attempt; doubled after "
                                                      "each further one.")
    outbox_backoff_max_seconds: float = Field(3600.0, validation_alias=_env("INTAKE_OUTBOX_BACKOFF_MAX"), gt=0,
                                              description="Longest wait between two attempts.")

    api_workers: int = Field(1, validation_alias=_env("INTAKE_API_WORKERS"), ge=1,
                             description="API processes `intake serve` runs on its port (uploads, status, "
                                         "reviewer UI). More than 1 needs PostgreSQL: SQLite allows one "
                                         "writing process.")
    public_base_url: str = Field("", validation_alias=_env("INTAKE_PUBLIC_BASE_URL"),
                                 description="Prefix for status_url; empty -> a path relative to the API root.")
    api_docs: bool = Field(False, validation_alias=_env("INTAKE_API_DOCS"),
                           description="Serve the interactive API docs at /docs and /redoc. Off by default: "
                                       "they are open without sign-in and load FastAPI's Swagger UI/ReDoc "
                                       "script from a CDN on the reviewer UI's origin. /openapi.json is "
                                       "served either way.")
    metrics_listen: str | None = Field(None, validation_alias=_env("INTAKE_METRICS_LISTEN"),
                                       pattern=r"^\S+:\d{1,5}$",
                                       description="HOST:PORT (e.g. 10.0.0.5:9100): `intake serve` answers "
                                                   "/metrics there only, not on the API's address.")
    metrics_token: SecretStr | None = Field(None, validation_alias=_env("INTAKE_METRICS_TOKEN"), min_length=16,
                                            description="When set, /metrics needs `Authorization: Bearer <token>`.")
    redis_server_binary: str = Field("redis-server", validation_alias=_env("INTAKE_REDIS_SERVER"))
    tesseract_binary: str = Field("tesseract", validation_alias=_env("INTAKE_TESSERACT"))
    log_level: str = Field("INFO", validation_alias=_env("INTAKE_LOG_LEVEL"))
    metrics_window_hours: float = Field(24.0, validation_alias=_env("INTAKE_METRICS_WINDOW_HOURS"), gt=0,
                                        description="Rates, latency percentiles and failure rate cover "
                                                    "documents finished in this many recent hours.")
    scispacy_model: str | None = Field(None, validation_alias=_env("INTAKE_SCISPACY_MODEL"),
                                       description="An installed scispaCy/spaCy model name or path to base "
                                                   "the NLP pipeline on (e.g. en_core_sci_sm); unset -> blank "
                                                   "English with scispaCy's tokenizer.")
    use_trained_ner: bool = Field(True, validation_alias=_env("INTAKE_USE_TRAINED_NER"),
                                  description="Add the NER packaged in models/ner to the rules.")
    policy_dirs: list[Path] = Field(default_factory=list, validation_alias=_env("INTAKE_POLICY_DIRS"),
                                    description="Folders of policy TOML files besides the packaged ones "
                                                "(JSON list). Each packet is judged by the policy governing "
                                                "its requested HCPCS code, or the one named at upload.")
    calibration_dir: Path | None = Field(None, validation_alias=_env("INTAKE_CALIBRATION_DIR"),
                                         description="Versions written by `intake calibrate`; the newest is "
                                                     "applied to new results. unset -> <data_dir>/calibration")

    # Reviewer UI (intake/web, intake/review). Decision clock defaults follow Medicare Advantage
    # Part B drug requests: 72 h standard, 24 h expedited, counted from receipt.
    review_standard_hours: float = Field(72.0, validation_alias=_env("INTAKE_REVIEW_STANDARD_HOURS"), gt=0)
    review_expedited_hours: float = Field(24.0, validation_alias=_env("INTAKE_REVIEW_EXPEDITED_HOURS"), gt=0)
    review_due_soon_hours: float = Field(12.0, validation_alias=_env("INTAKE_REVIEW_DUE_SOON_HOURS"), ge=0,
                                         description="A packet this close to its due time stands out.")
    review_low_confidence: float = Field(0.7, validation_alias=_env("INTAKE_REVIEW_LOW_CONFIDENCE"), ge=0, le=1)
    review_queue_limit: int = Field(500, validation_alias=_env("INTAKE_REVIEW_QUEUE_LIMIT"), gt=0)
    review_claim_minutes: float = Field(30.0, validation_alias=_env("INTAKE_REVIEW_CLAIM_MINUTES"), gt=0,
                                        description="A reviewer's claim on a packet lasts this long after "
                                                    "their last view or action.")
    pend_days: float = Field(14.0, validation_alias=_env("INTAKE_PEND_DAYS"), gt=0,
                             description="A packet pended for more information is overdue this long after "
                                         "the request (its own clock, counted from the pend).")
    session_hours: float = Field(8.0, validation_alias=_env("INTAKE_SESSION_HOURS"), gt=0)
    session_cookie_secure: bool | None = Field(None, validation_alias=_env("INTAKE_SESSION_COOKIE_SECURE"),
                                               description="unset: cookies are `Secure` and HSTS is sent when the "
                                                           "request came over https (directly or as the trusted "
                                                           "proxy's X-Forwarded-Proto says); true: always (TLS "
                                                           "ends at a proxy that does not say); false: never.")
    hsts_max_age_seconds: int = Field(31_536_000, validation_alias=_env("INTAKE_HSTS_MAX_AGE"), ge=0,
                                      description="Strict-Transport-Security max-age on https responses; 0: none.")
    sign_in_max_failures: int = Field(5, validation_alias=_env("INTAKE_SIGN_IN_MAX_FAILURES"), ge=1,
                                      description="Consecutive wrong passwords before an account locks.")
    sign_in_lockout_minutes: float = Field(15.0, validation_alias=_env("INTAKE_SIGN_IN_LOCKOUT_MINUTES"), gt=0)
    sign_in_client_attempts: int = Field(10, validation_alias=_env("INTAKE_SIGN_IN_CLIENT_ATTEMPTS"), ge=1,
                                         description="Sign-in attempts one client address (IPv6: its /64) may "
                                                     "have failing or in flight per window; successes do not count.")
    sign_in_client_window_seconds: float = Field(60.0, validation_alias=_env("INTAKE_SIGN_IN_CLIENT_WINDOW"), gt=0)
    password_hash_threads: int = Field(1, validation_alias=_env("INTAKE_PASSWORD_HASH_THREADS"), ge=1,
                                       description="Threads that run scrypt for sign-ins (a core and 32 MiB "
                                                   "each while hashing): a burst never takes every core.")
    password_hash_queue: int = Field(16, validation_alias=_env("INTAKE_PASSWORD_HASH_QUEUE"), ge=0,
                                     description="Sign-ins that may wait for a hashing thread; more answer 429.")

    @property
    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'intake.db').resolve()}"

    @property
    def database_is_sqlite(self) -> bool:
        return self.database_url_resolved.startswith("sqlite")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def calibration_dir_resolved(self) -> Path:
        return self.calibration_dir or self.data_dir / "calibration"

    def calibration_path(self) -> Path | None:
        """The newest version from `intake calibrate` fitted on this OCR engine, else the map
        committed with the repo for the engine, if any."""
        newest = newest_calibration_path(self.calibration_dir_resolved, self.ocr_engine)
        committed = default_calibration_path(self.ocr_engine)
        return newest or (committed if committed.exists() else None)

    @field_validator("callback_allow")
    @classmethod
    def _callback_allow_entries(cls, entries: list[str]) -> list[str]:
        CallbackPolicy.from_entries(entries)  # a typo stops the service at start, not a callback later
        return entries

    def callback_policy(self) -> CallbackPolicy:
        return CallbackPolicy.from_entries(self.callback_allow, allow_http=self.callback_allow_http)

    def limits(self) -> Limits:
        return Limits(max_bytes=self.max_bytes, max_pages=self.max_pages, max_page_pixels=self.max_pixels,
                      max_page_content_bytes=self.max_page_content_bytes, max_page_chars=self.max_page_chars,
                      max_page_drawings=self.max_page_drawings)

    def upload_form_limits(self) -> FormLimits:
        return FormLimits(max_file_bytes=self.max_bytes, max_fields=self.upload_max_fields,
                          max_field_bytes=self.upload_max_field_bytes, max_fields_bytes=self.upload_max_fields_bytes,
                          max_part_headers=self.upload_max_part_headers,
                          max_part_header_bytes=self.upload_max_part_header_bytes)

    def assessment_config(self) -> AssessmentConfig:
        # One page per job: parallelism comes from workers, not from threads inside a job.
        config = AssessmentConfig(limits=self.limits(), ocr_timeout_seconds=self.ocr_timeout_seconds,
                                  ocr_engine=self.ocr_engine, ocr_tessdata=self.tessdata,
                                  page_workers=1, calibration_path=self.calibration_path(),
                                  scispacy_model=self.scispacy_model, policy_dirs=tuple(self.policy_dirs))
        return config if self.use_trained_ner else dataclasses.replace(config, ner_model=None)
