"""Root fields of the mall."""
