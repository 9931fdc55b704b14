"""Errors with a stable code, a message a user can act on, and whether a retry can help.

Third-party errors (pdfplumber, PIL, Tesseract) are translated into these at the boundary
where they occur (`raise CorruptDocument(...) from exc`); nothing above `extraction.documents`
and `extraction.ocr` sees a library's own exception type. Messages never contain document text.
"""
from __future__ import annotations


class IntakeError(Exception):
    code: str = "intake_error"
    retryable: bool = False
    http_status: int = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class BadInput(IntakeError):
    """The file itself is unusable: final, retrying cannot help."""
    code = "bad_input"


class UnsupportedFormat(BadInput):
    code = "unsupported_format"
    http_status = 415


class EmptyDocument(BadInput):
    code = "empty_document"


class EncryptedDocument(BadInput):
    code = "encrypted_document"


class CorruptDocument(BadInput):
    code = "corrupt_document"


class LimitExceeded(BadInput):
    code = "limit_exceeded"
    http_status = 413


class TooLarge(LimitExceeded):
    code = "file_too_large"


class TooManyPages(LimitExceeded):
    code = "too_many_pages"


class TooManyPixels(LimitExceeded):
    code = "too_many_pixels"


class TransientError(IntakeError):
    """Infrastructure hiccup (engine crashed, disk busy): the same job may succeed later."""
    code = "transient"
    retryable = True
    http_status = 503


class OcrEngineError(TransientError):
    code = "ocr_engine_error"


class ConfigurationError(IntakeError):
    """A setting, terminology or policy file is wrong: an operator must fix it."""
    code = "configuration_error"
    http_status = 500
