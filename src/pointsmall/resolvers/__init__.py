"""Root fields, cut by domain like every other layer: check who calls (`pointsmall.access`),
call the domain (writes) or the loaders (reads), map the result to schema types."""
