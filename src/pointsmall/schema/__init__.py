"""Strawberry types, inputs, payloads and errors; `schema.schema` assembles the Schema."""
