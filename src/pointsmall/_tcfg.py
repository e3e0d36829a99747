from pointsmall.db import tortoise_config
TORTOISE_ORM = tortoise_config("sqlite://var/pointsmall.sqlite3")
