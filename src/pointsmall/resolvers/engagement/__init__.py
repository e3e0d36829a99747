"""Root fields of the engagement."""
