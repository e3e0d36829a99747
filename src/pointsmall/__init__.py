"""pointsmall: the GraphQL API backend of a mobile points mall."""

__version__ = "0.1.0"
