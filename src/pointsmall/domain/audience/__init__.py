"""Who the users are: lifecycle segments (and, to come, RFM, tiers and audience rules)."""
