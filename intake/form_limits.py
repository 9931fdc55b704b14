"""What one upload form may hold: a settings value object, kept apart from the multipart reader
so that reading the settings does not import the HTTP stack."""
from __future__ import annotations

from dataclasses import dataclass

# Multipart framing per part besides its headers: boundary line (<= 256 + 4), blank line, CRLFs.
_PART_FRAMING_BYTES = 270


@dataclass(frozen=True)
class FormLimits:
    """What one upload form may hold (Settings.upload_form_limits)."""
    max_file_bytes: int
    max_fields: int  # parts other than `file`
    max_field_bytes: int  # one field's value
    max_fields_bytes: int  # all fields' values together
    max_part_headers: int  # header lines of one part
    max_part_header_bytes: int  # one header line

    def max_body_bytes(self) -> int:
        """The largest body a form within these limits can take (for a declared Content-Length)."""
        part_overhead = self.max_part_headers * (self.max_part_header_bytes + 2) + _PART_FRAMING_BYTES
        return self.max_file_bytes + self.max_fields_bytes + (self.max_fields + 1) * part_overhead
