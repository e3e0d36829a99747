"""Thin glue for root fields: context -> access check -> domain call -> schema types."""
