"""What users are told, as clients see it: the inbox and its notification kinds."""
