"""Root fields of the notifications."""
