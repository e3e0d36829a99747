from pointsmall.db import tortoise_config
TORTOISE_ORM = tortoise_config("postgres://postgres@127.0.0.1:5432/test")
