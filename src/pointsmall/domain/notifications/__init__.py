"""What users are told: the inbox, expiry warnings and matured points."""
